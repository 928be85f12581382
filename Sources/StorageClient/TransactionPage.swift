import Protocol

/// One page of a transaction's index scan.
public struct TransactionPage: Sendable {
    /// A document in the range, stored or written by this transaction, under its index key.
    public struct Entry: Sendable {
        public var key: [UInt8]
        public var document: Value
        /// `document.size`, computed once.
        public var size: Int
    }

    /// In scan order: the stored entries, with this transaction's own writes in the covered range merged in.
    public var entries: [Entry]
    /// Where the next page starts (the last stored key read), nil when done.
    public var cursor: [UInt8]?
    public var isDone: Bool
}
