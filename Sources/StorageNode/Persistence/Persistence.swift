import Protocol

/// Where the storage node keeps its log: documents and index entries, versioned by commit timestamp,
/// plus a few globals. SQLite today; PostgreSQL and MySQL implement the same contract later.
///
/// Every method that reads "at ts" sees, for each document or index key, the newest version with a
/// timestamp at or below `ts`; a deletion is a version too (a tombstone).
public protocol Persistence: AnyObject, Sendable {
    /// The highest timestamp ever written, or nil for an empty store.
    func maxTimestamp() async throws -> Timestamp?

    func global(_ key: String) async throws -> [UInt8]?

    /// Writes one batch of commits as a single durable transaction: all of it or none of it.
    func write(_ batch: PersistenceBatch) async throws

    /// The newest version of each document at `ts`, nil where none exists or the newest is a deletion.
    func documents(_ ids: [DocumentID], at ts: Timestamp) async throws -> [StoredDocument?]

    /// Up to `limit` live entries of `index` inside `interval` at `ts`, in key order, with their documents.
    func scan(index: IndexID, interval: KeyInterval, order: ScanOrder, at ts: Timestamp, limit: Int) async throws -> [ScanEntry]

    /// Index entries written outside a commit (backfill). Writing an entry twice is harmless.
    func writeIndexEntries(_ entries: [IndexEntry]) async throws

    /// Dropped indexes whose entries are still on disk (a batch's `droppedIndexes`, not yet deleted).
    func pendingIndexDeletions() async throws -> [IndexID]

    /// Removes every entry of a dropped index, and its pending-deletion mark, in one transaction.
    func deleteIndex(_ index: IndexID) async throws

    /// How far retention has got: every version superseded by one at or below this timestamp is gone.
    func retentionProgress() async throws -> Timestamp

    /// Deletes versions that no read at or after `cutoff` can see, looking at about `maxVersions` of
    /// the versions written after the recorded progress, and records the new progress in the same
    /// transaction. Call again until the returned progress reaches `cutoff`.
    func deleteVersions(upTo cutoff: Timestamp, maxVersions: Int) async throws -> RetentionProgress

    /// The receipt stored with a commit under this idempotency key, if one is kept.
    func receipt(key: [UInt8]) async throws -> StoredReceipt?

    /// Forgets up to `limit` receipts of commits before `ts`, oldest first, in one transaction;
    /// returns how many. Call again while it returns `limit`.
    func deleteReceipts(before ts: Timestamp, limit: Int) async throws -> Int

    /// Row counts of the document log and the index entries (for retention tests and metrics).
    func rowCounts() async throws -> (documents: Int, indexEntries: Int)

    func close() async throws
}

/// One version of a document in the log. `value == nil` is a deletion.
public struct DocumentVersion: Sendable {
    public var id: DocumentID
    /// The timestamp of the commit that wrote this version.
    public var ts: Timestamp
    public var value: Value?
    /// The ts of the live version this one replaced, as the transaction read it; nil if none.
    public var prevTs: Timestamp?
}

/// One version of one index key. The key already ends with the document's ID, so it names one document.
public struct IndexEntry: Sendable {
    public var index: IndexID
    /// The encoded `IndexKey`.
    public var key: [UInt8]
    /// The timestamp of the document version this entry belongs to (backfilled entries too).
    public var ts: Timestamp
    /// The document left this key at `ts`; otherwise it holds the key from `ts` on.
    public var deleted: Bool
    public var documentID: DocumentID
}

/// What one group commit writes.
public struct PersistenceBatch: Sendable {
    public var documents: [DocumentVersion] = []
    public var indexEntries: [IndexEntry] = []
    /// Values to store by key, replacing stored ones (e.g. `timestamp.high_water`).
    public var globals: [String: [UInt8]] = [:]
    /// Indexes dropped by these commits; their entries are deleted later by `deleteIndex`.
    public var droppedIndexes: [IndexID] = []
    public var receipts: [StoredReceipt] = []
}

/// A commit's idempotency key, its timestamp, and the outcome to hand to a repeat of it.
public struct StoredReceipt: Sendable, Equatable {
    public var key: [UInt8]
    public var ts: Timestamp
    public var outcome: [UInt8]
}

/// What one `deleteVersions` call did.
public struct RetentionProgress: Sendable {
    /// Document versions and index entries deleted, together.
    public var deletedRows: Int
    /// Every version up to this timestamp has been looked at.
    public var processedThrough: Timestamp
}
