import Foundation

/// Nanoseconds since the Unix epoch; commit timestamps are strictly increasing, also across restarts.
public typealias Timestamp = UInt64

/// Identifies an index in the catalog. The built-in indexes of a table come with the table.
public typealias IndexID = UInt64

public struct TableInfo: Hashable, Sendable {
    public var name: String
    public var number: UInt32

    public init(name: String, number: UInt32) {
        self.name = name
        self.number = number
    }
}

public struct IndexInfo: Hashable, Sendable {
    public enum State: UInt8, Sendable { case backfilling = 0, ready = 1 }

    public var id: IndexID
    public var tableNumber: UInt32
    public var name: String
    /// Dotted field paths. The key is these fields' values followed by the document's `_id`
    /// (unless the last field is `_id` itself), so keys are unique.
    public var fields: [String]
    public var state: State

    public init(id: IndexID, tableNumber: UInt32, name: String, fields: [String], state: State) {
        self.id = id
        self.tableNumber = tableNumber
        self.name = name
        self.fields = fields
        self.state = state
    }

    public static let byID = "by_id"
    public static let byCreationTime = "by_creation_time"
}

public struct Catalog: Hashable, Sendable {
    public var tables: [TableInfo]
    public var indexes: [IndexInfo]

    public init(tables: [TableInfo], indexes: [IndexInfo]) {
        self.tables = tables
        self.indexes = indexes
    }

    public func table(named name: String) -> TableInfo? { tables.first { $0.name == name } }
    public func table(number: UInt32) -> TableInfo? { tables.first { $0.number == number } }
    public func index(table: UInt32, name: String) -> IndexInfo? {
        indexes.first { $0.tableNumber == table && $0.name == name }
    }
    public func index(id: IndexID) -> IndexInfo? { indexes.first { $0.id == id } }
}

/// One version of a document as stored.
public struct StoredDocument: Hashable, Sendable {
    public var id: DocumentID
    public var ts: Timestamp
    public var value: Value

    public init(id: DocumentID, ts: Timestamp, value: Value) {
        self.id = id
        self.ts = ts
        self.value = value
    }
}

/// What a transaction read, as key intervals per index. Point reads and misses are intervals too.
public struct ReadSet: Hashable, Sendable {
    public var intervals: [IndexID: [KeyInterval]]

    public init(_ intervals: [IndexID: [KeyInterval]] = [:]) {
        self.intervals = intervals
    }

    public mutating func add(_ interval: KeyInterval, index: IndexID) {
        intervals[index, default: []].append(interval)
    }

    public var count: Int { intervals.values.reduce(0) { $0 + $1.count } }
}

/// A document's new full value, or nil to delete it.
public struct DocumentWrite: Hashable, Sendable {
    public var id: DocumentID
    public var value: Value?
    /// A document the transaction created under a fresh random ID: the node writes it without
    /// looking for an earlier version.
    public var isInsert: Bool

    public init(id: DocumentID, value: Value?, isInsert: Bool = false) {
        self.id = id
        self.value = value
        self.isInsert = isInsert && value != nil
    }
}

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

public struct CommitRequest: Hashable, Sendable {
    /// Where the transaction read; nil if it never read, which only inserts of new IDs may do.
    public var beginTs: Timestamp?
    public var readSet: ReadSet
    public var writes: [DocumentWrite]
    /// Makes the commit happen at most once per key; see `CommitReceipt`.
    public var receipt: CommitReceipt?
    /// Who is asking, for the node's queue of conflicting transactions; see `CommitPriority`.
    public var priority: CommitPriority?

    public init(beginTs: Timestamp?, readSet: ReadSet, writes: [DocumentWrite], receipt: CommitReceipt? = nil, priority: CommitPriority? = nil) {
        self.beginTs = beginTs
        self.readSet = readSet
        self.writes = writes
        self.receipt = receipt
        self.priority = priority
    }
}

/// The same for every attempt of one transaction: when it first began, and a random token naming it.
/// A transaction that conflicted claims what it read at the storage node; until it commits, commits
/// of transactions that began later (fresh ones too) may not write there, so the oldest goes first.
public struct CommitPriority: Hashable, Sendable, Comparable {
    public var since: Timestamp
    public var token: UInt64

    public init(since: Timestamp, token: UInt64) {
        self.since = since
        self.token = token
    }

    /// The older transaction goes first; the token settles a tie.
    public static func < (a: CommitPriority, b: CommitPriority) -> Bool {
        (a.since, a.token) < (b.since, b.token)
    }
}

/// Kept by the storage node with a commit: its key and what the caller should get back if the same
/// key commits again (opaque to the node; a runner stores the mutation's return value there).
public struct CommitReceipt: Hashable, Sendable {
    public var key: IdempotencyKey
    public var outcome: [UInt8]
    /// An earlier attempt under this key may have committed, even before the node last restarted: it
    /// looks on disk too, not only among its recent commits.
    public var isRetry: Bool

    public init(key: IdempotencyKey, outcome: [UInt8], isRetry: Bool = false) {
        self.key = key
        self.outcome = outcome
        self.isRetry = isRetry
    }
}

public enum CommitResult: Hashable, Sendable {
    case committed(Timestamp)
    /// A write committed after the transaction's begin timestamp touched its read set; retry from a new snapshot.
    case conflict(table: String)
    /// A commit with the same idempotency key happened already, at `ts`; nothing was written now.
    case alreadyCommitted(ts: Timestamp, outcome: [UInt8])
}

public struct SubscribeRequest: Hashable, Sendable {
    public var id: UInt64
    /// The timestamp the read set was read at; commits after it invalidate.
    public var ts: Timestamp
    public var readSet: ReadSet

    public init(id: UInt64, ts: Timestamp, readSet: ReadSet) {
        self.id = id
        self.ts = ts
        self.readSet = readSet
    }
}

/// Pushed on a connection's stream when commits at or before `ts` touched the read sets of these
/// subscriptions (each fires once), and with no IDs as a watermark: a connection that holds
/// subscriptions is sent one for every published timestamp, and on each subscribe that finds its
/// watermark behind. So once a stream has delivered `ts`, every commit up to `ts` that touched a
/// subscription of the connection has been reported in that stream, before it.
public struct Invalidation: Hashable, Sendable {
    public var subscriptionIDs: [UInt64]
    public var ts: Timestamp

    public init(subscriptionIDs: [UInt64], ts: Timestamp) {
        self.subscriptionIDs = subscriptionIDs
        self.ts = ts
    }
}

/// An error answer from the storage node.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: UInt8, Sendable {
        case badRequest = 1
        case notFound = 2
        case timestampTooOld = 3
        case limitExceeded = 4
        case internalError = 5
        case unavailable = 6
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
