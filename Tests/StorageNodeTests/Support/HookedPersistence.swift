import Protocol
@testable import StorageNode

/// Delegates to a real SQLite store, with hooks that run before durable writes, backfill writes and
/// retention passes (and after receipt deletions): to hold a group commit, slow a backfill, count
/// deletions, or stand in for a failing disk or a crash between two persistence calls, none of which
/// can be produced on demand here.
final class HookedPersistence: Persistence, @unchecked Sendable {
    let inner: SQLitePersistence
    let beforeWrite: @Sendable (PersistenceBatch) async throws -> Void
    let beforeWriteIndexEntries: @Sendable ([IndexEntry]) async throws -> Void
    let beforeDeleteVersions: @Sendable () async throws -> Void
    let afterDeleteReceipts: @Sendable (_ deleted: Int) -> Void

    init(_ inner: SQLitePersistence,
         beforeWrite: @escaping @Sendable (PersistenceBatch) async throws -> Void = { _ in },
         beforeWriteIndexEntries: @escaping @Sendable ([IndexEntry]) async throws -> Void = { _ in },
         beforeDeleteVersions: @escaping @Sendable () async throws -> Void = {},
         afterDeleteReceipts: @escaping @Sendable (_ deleted: Int) -> Void = { _ in }) {
        self.inner = inner
        self.beforeWrite = beforeWrite
        self.beforeWriteIndexEntries = beforeWriteIndexEntries
        self.beforeDeleteVersions = beforeDeleteVersions
        self.afterDeleteReceipts = afterDeleteReceipts
    }

    func write(_ batch: PersistenceBatch) async throws {
        try await beforeWrite(batch)
        try await inner.write(batch)
    }

    func writeIndexEntries(_ entries: [IndexEntry]) async throws {
        try await beforeWriteIndexEntries(entries)
        try await inner.writeIndexEntries(entries)
    }

    func maxTimestamp() async throws -> Timestamp? { try await inner.maxTimestamp() }
    func global(_ key: String) async throws -> [UInt8]? { try await inner.global(key) }
    func documents(_ ids: [DocumentID], at ts: Timestamp) async throws -> [StoredDocument?] { try await inner.documents(ids, at: ts) }
    func scan(index: IndexID, interval: KeyInterval, order: ScanOrder, at ts: Timestamp, limit: Int) async throws -> [ScanEntry] {
        try await inner.scan(index: index, interval: interval, order: order, at: ts, limit: limit)
    }
    func deleteIndex(_ index: IndexID) async throws { try await inner.deleteIndex(index) }
    func pendingIndexDeletions() async throws -> [IndexID] { try await inner.pendingIndexDeletions() }
    func retentionProgress() async throws -> Timestamp { try await inner.retentionProgress() }
    func deleteVersions(upTo cutoff: Timestamp, maxVersions: Int) async throws -> RetentionProgress {
        try await beforeDeleteVersions()
        return try await inner.deleteVersions(upTo: cutoff, maxVersions: maxVersions)
    }
    func receipt(key: [UInt8]) async throws -> StoredReceipt? { try await inner.receipt(key: key) }
    func deleteReceipts(before ts: Timestamp, limit: Int) async throws -> Int {
        let deleted = try await inner.deleteReceipts(before: ts, limit: limit)
        afterDeleteReceipts(deleted)
        return deleted
    }
    func rowCounts() async throws -> (documents: Int, indexEntries: Int) { try await inner.rowCounts() }
    func close() async throws { try await inner.close() }
}
