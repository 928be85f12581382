/// Errors of `StorageTransaction` itself; the node's answers are `StorageError`s.
public enum StorageTransactionError: Error, CustomStringConvertible {
    /// The catalog a transaction began on is not the one at its snapshot: run the function again.
    case catalogChanged

    public var description: String { "the catalog changed before the transaction's first read; the function runs again" }
}
