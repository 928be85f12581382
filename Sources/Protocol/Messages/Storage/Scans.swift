public enum ScanOrder: UInt8, Sendable { case ascending = 0, descending = 1 }

public struct ScanRequest: Hashable, Sendable {
    public var ts: Timestamp
    public var index: IndexID
    public var interval: KeyInterval
    public var order: ScanOrder
    public var limit: Int
    /// The last key of the previous page; the scan continues after it in `order`.
    public var cursor: [UInt8]?

    public init(ts: Timestamp, index: IndexID, interval: KeyInterval, order: ScanOrder, limit: Int, cursor: [UInt8]? = nil) {
        self.ts = ts
        self.index = index
        self.interval = interval
        self.order = order
        self.limit = limit
        self.cursor = cursor
    }
}

public struct ScanEntry: Hashable, Sendable {
    public var key: [UInt8]
    public var document: StoredDocument

    public init(key: [UInt8], document: StoredDocument) {
        self.key = key
        self.document = document
    }
}

public struct ScanPage: Hashable, Sendable {
    public var entries: [ScanEntry]
    /// Set when the range may hold more: pass it back as `ScanRequest.cursor` for the next page.
    public var cursor: [UInt8]?

    public init(entries: [ScanEntry], cursor: [UInt8]?) {
        self.entries = entries
        self.cursor = cursor
    }
}
