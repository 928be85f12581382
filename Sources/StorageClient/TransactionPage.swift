import Protocol

/// One page of a transaction's index scan.
public struct TransactionPage: Sendable {
    public struct Entry: Sendable {
        public var key: [UInt8]
        public var document: Value
        /// `document.size`, computed once.
        public var size: Int
    }

    public var entries: [Entry]
    /// Where the next page starts (the last stored key read), nil when done.
    public var cursor: [UInt8]?
    public var isDone: Bool
}
