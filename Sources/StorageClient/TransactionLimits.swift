import Protocol

/// Convex's per-transaction limits (docs/limits.md).
public struct TransactionLimits: Sendable {
    public var maxDocumentsRead = 32_000
    /// Bytes of documents read, by `Value.size`.
    public var maxBytesRead = 16 << 20
    /// Key intervals in the read set, misses included.
    public var maxReadIntervals = 4_096
    public var maxDocumentsWritten = 16_000
    /// Bytes of the buffered documents, by `Value.size`.
    public var maxBytesWritten = 16 << 20

    public init() {}
}

/// What a transaction has used of its limits so far.
public struct TransactionUsage: Sendable, Equatable {
    public var documentsRead = 0
    public var bytesRead = 0
    public var documentsWritten = 0
    public var bytesWritten = 0
}
