public enum ScanOrder: UInt8, Sendable { case ascending = 0, descending = 1 }

/// A read of one page of an index range at `ts`.
public struct ScanRequest: Hashable, Sendable {
    /// The snapshot to read at; outside the node's readable range the node answers `StorageError`.
    public var ts: Timestamp
    public var index: IndexID
    public var interval: KeyInterval
    public var order: ScanOrder
    /// Most entries in the page, at least 1; the node may stop sooner at its response byte limit.
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

/// An index entry live at the scan's timestamp, with the document version it names.
public struct ScanEntry: Hashable, Sendable {
    /// The entry's `IndexKey` bytes.
    public var key: [UInt8]
    public var document: StoredDocument

    public init(key: [UInt8], document: StoredDocument) {
        self.key = key
        self.document = document
    }
}

/// One page of a scan, its entries in scan order.
public struct ScanPage: Hashable, Sendable {
    public var entries: [ScanEntry]
    /// Set when the range may hold more: pass it back as `ScanRequest.cursor` for the next page.
    public var cursor: [UInt8]?

    public init(entries: [ScanEntry], cursor: [UInt8]?) {
        self.entries = entries
        self.cursor = cursor
    }
}
