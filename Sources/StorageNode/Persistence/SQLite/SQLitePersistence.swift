import CSQLite
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Protocol

/// The default store: one SQLite database file in WAL mode. This comment describes the file's contents
/// and the invariants that reads, recovery and retention rely on; code that writes the file keeps them.
///
/// Connections. One writer connection takes every write, each in a `BEGIN IMMEDIATE` transaction: the
/// committer's group commits (`write`: one transaction per batch of commits; batches go in timestamp
/// order, the next only after the last returned), backfill entries, index deletion and retention. Reads
/// use a pool of `readerCount` connections with `query_only` set (when all are busy, a read opens one of
/// its own for the call); each read call is one transaction, so its statements share one snapshot, and
/// WAL lets it run beside the writer. Blocking calls run on a `NIOThreadPool` of `readerCount + 1` threads.
/// The committer acknowledges a commit only after `write` has returned, so `synchronous` decides what an
/// acknowledgement is worth: FULL (the default) syncs the WAL at every commit, so acknowledged commits
/// survive power loss; NORMAL survives a process crash but may lose the newest acknowledged commits on
/// an OS crash or power loss; OFF never syncs, and such a crash may lose commits or corrupt the file.
/// If `write` throws, the committer refuses all further commits until a restart recovers from the file.
///
/// Encodings. `ts` is always a commit timestamp: nanoseconds since the Unix epoch, unique and increasing
/// across restarts. Timestamps and index IDs are UInt64s stored as their Int64 bit pattern (SQL order is
/// right below 2^63). A document ID is stored as `table_number` (513 `_tables`, 514 `_index`, user tables
/// from 10001) and its 16-byte `InternalID` (14 random bytes, then the creation day as a big-endian
/// UInt16), not as its base32 string. Values are `Value.binaryEncoded` (Messages/ByteBuffer+Value.swift:
/// a tag byte, little-endian numbers, LEB128 lengths and counts). Index keys are `IndexKey` bytes
/// (IndexKeys/IndexKey.swift): the indexed fields (missing ones as undefined), then the document's `_id`
/// string unless the last field is `_id`, encoded so that BLOB order is Convex's value order and every
/// key names one document.
///
/// Tables (`createSchema`):
/// - `documents`, primary key (table_number, id, ts): one version of one document, written by the commit
///   at `ts`. `value` is the whole document; a deletion (tombstone) has `value` NULL and `deleted` 1,
///   every other row `deleted` 0. `prev_ts` is the ts of the live version this one replaced, as the
///   committing transaction read it; NULL when there was none. Nothing reads `prev_ts` yet, and
///   retention may delete the version it names. `documents_by_ts` serves `maxTimestamp` and retention.
/// - `indexes`, primary key (index_id, key, ts): one version of one index key, `table_number` and
///   `document_id` naming its document. Live (`deleted` 0): from `ts` the key holds that document, whose
///   version at exactly `ts` has its value (scans join on it). `deleted` 1: the document left the key at
///   `ts` (its indexed fields changed, or it was deleted). `indexes_by_ts` serves retention.
/// - `globals` (key TEXT, value BLOB), each value a UInt64 as 8 little-endian bytes (`GlobalValue`):
///   `timestamp.high_water`, the newest commit's ts, written with every batch; `catalog.max_index_id`,
///   the highest index ID handed out, so a dropped index's ID is never reused; and
///   `retention.processed_through`, retention's progress (0 when absent).
/// - `dropped_indexes` (index_id): indexes whose drop is committed but whose entries may remain.
/// - `commit_receipts`, primary key `key`: what makes a commit happen at most once (docs/exactly-once.md).
///   `key` is the commit's `IdempotencyKey` bytes, `ts` its commit timestamp, `outcome` opaque bytes
///   from the runner (the mutation's result or error, and its log lines) handed back to any repeat.
///   A failed mutation commits its receipt with no documents. `commit_receipts_by_ts` serves expiry.
///
/// Invariants.
/// - Visibility: a read at S sees, for each document and each index key, the row with the greatest
///   ts ≤ S, and a `deleted` row as absent. A version at T is visible at every S ≥ T until the next
///   version of the same document (or key); the node allows reads only between the oldest readable ts
///   and the published ts.
/// - Atomic commits: a batch's versions, index entries, globals, drop marks and receipts are one SQLite
///   transaction, and batches are written in ts order, so the file holds a prefix of the commits.
/// - Index entries: for each document it writes, a commit writes in the same transaction, in every index
///   of the table, entries at its ts: `deleted` for a key the document left, live for its current key.
///   Backfill later writes live entries in transactions of their own, but at the ts of the version they
///   name. So a live entry at T always has its document version at T; a scan that finds none throws
///   `SQLITE_CORRUPT`.
/// - Restart (`StorageNode.open`): the node resumes at the greater of `maxTimestamp()` (MAX(ts) of
///   `documents`) and `timestamp.high_water`, which covers batches that left no document row, or whose
///   newest row retention removed. New timestamps are above it, everything in the file counts as
///   published, the catalog is read from indexes 1 and 3 (`by_id` of `_tables` and `_index`) at it, and
///   the oldest readable ts is `retention.processed_through`.
/// - Retention (`deleteVersions`): takes, after the recorded progress P, a window (P, through], through ≤
///   cutoff, of about `maxVersions` document versions that always ends on a whole timestamp. For each
///   `documents` and `indexes` row in it, it deletes the older rows of the same document or key, and a
///   `deleted` row with them; then it records `through` as the progress, in the same transaction. So
///   reads at `through` or later see what they saw before; earlier ones may find gaps, which is why the
///   node raises its oldest readable ts to the cutoff before deleting. Nothing above `through` is deleted,
///   nor the newest live version at or below it; the node keeps the cutoff at or below the published ts
///   and the snapshot of every running backfill.
/// - Receipts go by age alone (`deleteReceipts`: ts below the cutoff given, oldest first, at most
///   `limit` per statement), independently of version retention.
/// - Dropped indexes: the commit that drops an index deletes its `_index` document and inserts its ID
///   into `dropped_indexes`; the catalog no longer lists it, so reads of it are refused. `deleteIndex`
///   deletes all its entries and the mark in one transaction, right after the drop (once a running
///   backfill of it has finished), or at the next open (`pendingIndexDeletions`) after a crash.
public final class SQLitePersistence: Persistence, @unchecked Sendable {
    /// The writer's `PRAGMA synchronous`: what an acknowledged commit survives (see above).
    public enum Synchronous: String, Sendable { case full = "FULL", normal = "NORMAL", off = "OFF" }

    private let threadPool: NIOThreadPool
    private let writer: NIOLockedValueBox<SQLiteConnection>
    private let readers: NIOLockedValueBox<[SQLiteConnection]>
    private let path: String

    /// Opens or creates the database at `path`: one writer connection and `readerCount` pooled readers.
    public init(path: String, synchronous: Synchronous = .full, readerCount: Int = 3) throws {
        self.path = path
        let writer = try SQLiteConnection(path: path)
        try writer.execute("PRAGMA journal_mode=WAL")
        try writer.execute("PRAGMA synchronous=\(synchronous.rawValue)")
        // SQLite's default page cache is 2 MiB: past that, every insert re-reads index pages through
        // system calls. The writer touches the most pages; readers keep less.
        try writer.execute("PRAGMA cache_size=-65536")
        try Self.createSchema(writer)
        self.writer = NIOLockedValueBox(writer)
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount { readers.append(try Self.reader(path: path)) }
        self.readers = NIOLockedValueBox(readers)
        threadPool = NIOThreadPool(numberOfThreads: readerCount + 1)
        threadPool.start()
    }

    private static func createSchema(_ db: SQLiteConnection) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS documents (
                table_number INTEGER NOT NULL,
                id BLOB NOT NULL,
                ts INTEGER NOT NULL,
                value BLOB,
                deleted INTEGER NOT NULL,
                prev_ts INTEGER,
                PRIMARY KEY (table_number, id, ts)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS documents_by_ts ON documents (ts);
            CREATE TABLE IF NOT EXISTS indexes (
                index_id INTEGER NOT NULL,
                key BLOB NOT NULL,
                ts INTEGER NOT NULL,
                deleted INTEGER NOT NULL,
                table_number INTEGER NOT NULL,
                document_id BLOB NOT NULL,
                PRIMARY KEY (index_id, key, ts)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS indexes_by_ts ON indexes (ts);
            CREATE TABLE IF NOT EXISTS globals (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS dropped_indexes (index_id INTEGER PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS commit_receipts (key BLOB PRIMARY KEY, ts INTEGER NOT NULL, outcome BLOB NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS commit_receipts_by_ts ON commit_receipts (ts);
            """)
    }

    // MARK: Running on the thread pool

    private func withWriter<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive { [writer] in
            try writer.withLockedValue { connection in
                defer { connection.resetStatements() }
                return try body(connection)
            }
        }
    }

    /// A connection that only reads, with the readers' smaller page cache.
    private static func reader(path: String) throws -> SQLiteConnection {
        let reader = try SQLiteConnection(path: path)
        try reader.execute("PRAGMA query_only=1")
        try reader.execute("PRAGMA cache_size=-16384")
        return reader
    }

    private func withReader<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive { [readers] in
            let connection = readers.withLockedValue { $0.popLast() }
            // More concurrent reads than pooled readers: open a short-lived extra connection.
            let reader = try connection ?? Self.reader(path: self.path)
            defer { if connection != nil { readers.withLockedValue { $0.append(reader) } } }
            // Each read is its own transaction, so a multi-statement read sees one snapshot of the file.
            try reader.execute("BEGIN")
            defer {
                reader.resetStatements()
                try? reader.execute("COMMIT")
            }
            return try body(reader)
        }
    }

    // MARK: Persistence

    public func maxTimestamp() async throws -> Timestamp? {
        try await withReader { db in
            let stmt = try db.statement("SELECT MAX(ts) FROM documents")
            guard try stmt.step(), !stmt.isNull(0) else { return nil }
            return stmt.uint64(0)
        }
    }

    public func global(_ key: String) async throws -> [UInt8]? {
        try await withReader { db in try Self.readGlobal(key, db) }
    }

    public func write(_ batch: PersistenceBatch) async throws {
        try await withWriter { db in
            try db.transaction {
                for version in batch.documents {
                    try db.statement(
                        "INSERT OR REPLACE INTO documents (table_number, id, ts, value, deleted, prev_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    ).insert(version)
                }
                for entry in batch.indexEntries { try Self.insert(entry, db) }
                for (key, value) in batch.globals { try Self.setGlobal(key, value, db) }
                for index in batch.droppedIndexes {
                    let stmt = try db.statement("INSERT OR IGNORE INTO dropped_indexes (index_id) VALUES (?1)")
                    stmt.bind(1, index)
                    try stmt.run()
                }
                for receipt in batch.receipts {
                    // A key already on disk was sent again as a first attempt, past the window in which the
                    // committer remembers keys (only a client that breaks the protocol does that). Its
                    // commit was applied as asked; the first receipt stays, and the batch is not failed.
                    let stmt = try db.statement("INSERT INTO commit_receipts (key, ts, outcome) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING")
                    stmt.bind(1, receipt.key)
                    stmt.bind(2, receipt.ts)
                    stmt.bind(3, receipt.outcome)
                    try stmt.run()
                }
            }
        }
    }

    private static func setGlobal(_ key: String, _ value: [UInt8], _ db: SQLiteConnection) throws {
        let stmt = try db.statement("INSERT OR REPLACE INTO globals (key, value) VALUES (?1, ?2)")
        stmt.bind(1, key)
        stmt.bind(2, value)
        try stmt.run()
    }

    private static func readGlobal(_ key: String, _ db: SQLiteConnection) throws -> [UInt8]? {
        let stmt = try db.statement("SELECT value FROM globals WHERE key = ?1")
        stmt.bind(1, key)
        return try stmt.step() ? stmt.blob(0) : nil
    }

    private static func insert(_ entry: IndexEntry, _ db: SQLiteConnection) throws {
        let stmt = try db.statement(
            "INSERT OR REPLACE INTO indexes (index_id, key, ts, deleted, table_number, document_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        stmt.bind(1, entry.index)
        stmt.bind(2, entry.key)
        stmt.bind(3, entry.ts)
        stmt.bind(4, Int64(entry.deleted ? 1 : 0))
        stmt.bind(5, Int64(entry.documentID.tableNumber))
        stmt.bind(6, entry.documentID.internalID.bytes)
        try stmt.run()
    }

    public func documents(_ ids: [DocumentID], at ts: Timestamp) async throws -> [StoredDocument?] {
        try await withReader { db in
            try ids.map { id in
                let stmt = try db.statement("""
                    SELECT ts, value, deleted FROM documents
                    WHERE table_number = ?1 AND id = ?2 AND ts <= ?3 ORDER BY ts DESC LIMIT 1
                    """)
                stmt.bind(1, Int64(id.tableNumber))
                stmt.bind(2, id.internalID.bytes)
                stmt.bind(3, ts)
                guard try stmt.step(), stmt.int64(2) == 0 else { return nil }
                return StoredDocument(id: id, ts: stmt.uint64(0), value: try Value(binaryEncoded: stmt.blob(1)))
            }
        }
    }

    public func scan(index: IndexID, interval: KeyInterval, order: ScanOrder, at ts: Timestamp, limit: Int) async throws -> [ScanEntry] {
        try await withReader { db in
            try Self.scan(db, index: index, interval: interval, order: order, ts: ts, limit: limit)
        }
    }

    /// Reads versions in key order, newest first within a key, and keeps the newest version at or below
    /// `ts` of each key if it is live. Rows are fetched in batches; a key whose versions straddle a batch
    /// boundary is finished before the next batch starts after it.
    private static func scan(
        _ db: SQLiteConnection, index: IndexID, interval: KeyInterval, order: ScanOrder, ts: Timestamp, limit: Int
    ) throws -> [ScanEntry] {
        var results: [ScanEntry] = []
        var lower = interval.start
        var lowerInclusive = true
        var upper = interval.end
        let batchSize = max(limit, 16) * 2
        while results.count < limit {
            let lowerOp = lowerInclusive ? ">=" : ">"
            let upperClause = upper == nil ? "" : "AND i.key < ?4"
            let direction = order == .ascending ? "ASC" : "DESC"
            let stmt = try db.statement("""
                SELECT i.key, i.ts, i.deleted, i.table_number, i.document_id, d.value
                FROM indexes i LEFT JOIN documents d
                    ON d.table_number = i.table_number AND d.id = i.document_id AND d.ts = i.ts
                WHERE i.index_id = ?1 AND i.key \(lowerOp) ?2 AND i.ts <= ?3 \(upperClause)
                ORDER BY i.key \(direction), i.ts DESC LIMIT ?5
                """)
            stmt.bind(1, index)
            stmt.bind(2, lower)
            stmt.bind(3, ts)
            if let upper { stmt.bind(4, upper) }
            stmt.bind(5, Int64(batchSize))
            var rows = 0
            var lastKey: [UInt8]?
            while try stmt.step() {
                rows += 1
                let key = stmt.blob(0)
                if key == lastKey { continue }
                lastKey = key
                guard stmt.int64(2) == 0 else { continue }
                guard !stmt.isNull(5) else {
                    throw SQLiteError(code: SQLITE_CORRUPT, message: "index \(index) entry without its document version")
                }
                let id = DocumentID(tableNumber: UInt32(stmt.int64(3)), internalID: InternalID(bytes: stmt.blob(4))!)
                let doc = StoredDocument(id: id, ts: stmt.uint64(1), value: try Value(binaryEncoded: stmt.blob(5)))
                results.append(ScanEntry(key: key, document: doc))
                if results.count == limit { break }
            }
            guard rows == batchSize, let lastKey, results.count < limit else { break }
            // Continue after the last key seen: its newest visible version came first, so it is done.
            if order == .ascending {
                lower = lastKey
                lowerInclusive = false
            } else {
                upper = lastKey
            }
        }
        return results
    }

    public func writeIndexEntries(_ entries: [IndexEntry]) async throws {
        try await withWriter { db in
            try db.transaction {
                for entry in entries { try Self.insert(entry, db) }
            }
        }
    }

    public func pendingIndexDeletions() async throws -> [IndexID] {
        try await withReader { db in
            let stmt = try db.statement("SELECT index_id FROM dropped_indexes")
            var ids: [IndexID] = []
            while try stmt.step() { ids.append(stmt.uint64(0)) }
            return ids
        }
    }

    public func deleteIndex(_ index: IndexID) async throws {
        try await withWriter { db in
            try db.transaction {
                for sql in ["DELETE FROM indexes WHERE index_id = ?1", "DELETE FROM dropped_indexes WHERE index_id = ?1"] {
                    let stmt = try db.statement(sql)
                    stmt.bind(1, index)
                    try stmt.run()
                }
            }
        }
    }

    private static let retentionProgressKey = "retention.processed_through"

    public func retentionProgress() async throws -> Timestamp {
        try await withReader { db in try Self.readGlobal(Self.retentionProgressKey, db).map(GlobalValue.decode) ?? 0 }
    }

    public func deleteVersions(upTo cutoff: Timestamp, maxVersions: Int) async throws -> RetentionProgress {
        try await withWriter { db in
            try db.transaction {
                let after = try Self.readGlobal(Self.retentionProgressKey, db).map(GlobalValue.decode) ?? 0
                guard after < cutoff else { return RetentionProgress(deletedRows: 0, processedThrough: after) }
                // Take at most about `maxVersions` document versions per transaction so commits are not held up;
                // every version sharing the last timestamp is included, so the window ends on a whole commit.
                let bound = try db.statement("SELECT ts FROM documents WHERE ts > ?1 AND ts <= ?2 ORDER BY ts LIMIT 1 OFFSET ?3")
                bound.bind(1, after)
                bound.bind(2, cutoff)
                bound.bind(3, Int64(maxVersions - 1))
                let through = try bound.step() ? bound.uint64(0) : cutoff
                let deleted = try Self.deleteOlderVersions(db, table: "documents", owner: "table_number, id", after: after, through: through)
                    + Self.deleteOlderVersions(db, table: "indexes", owner: "index_id, key", after: after, through: through)
                // Recorded in the same transaction as the deletions: a reader trusting it never finds a gap.
                try Self.setGlobal(Self.retentionProgressKey, GlobalValue.encode(through), db)
                return RetentionProgress(deletedRows: deleted, processedThrough: through)
            }
        }
    }

    /// For each version written in `(after, through]`, the older versions of the same document (or index key)
    /// are invisible at `through` and later, so they go; a deletion goes together with what it deleted.
    private static func deleteOlderVersions(
        _ db: SQLiteConnection, table: String, owner: String, after: Timestamp, through: Timestamp
    ) throws -> Int {
        let ownerColumns = owner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let select = try db.statement("SELECT \(owner), ts, deleted FROM \(table) WHERE ts > ?1 AND ts <= ?2")
        select.bind(1, after)
        select.bind(2, through)
        var versions: [(Int64, [UInt8], UInt64, Bool)] = []
        while try select.step() { versions.append((select.int64(0), select.blob(1), select.uint64(2), select.int64(3) != 0)) }
        var deleted = 0
        for (first, second, ts, isDeletion) in versions {
            let stmt = try db.statement(
                "DELETE FROM \(table) WHERE \(ownerColumns[0]) = ?1 AND \(ownerColumns[1]) = ?2 AND ts \(isDeletion ? "<=" : "<") ?3")
            stmt.bind(1, first)
            stmt.bind(2, second)
            stmt.bind(3, ts)
            try stmt.run()
            deleted += db.changes
        }
        return deleted
    }

    public func receipt(key: [UInt8]) async throws -> StoredReceipt? {
        try await withReader { db in
            let stmt = try db.statement("SELECT ts, outcome FROM commit_receipts WHERE key = ?1")
            stmt.bind(1, key)
            return try stmt.step() ? StoredReceipt(key: key, ts: stmt.uint64(0), outcome: stmt.blob(1)) : nil
        }
    }

    public func deleteReceipts(before ts: Timestamp, limit: Int) async throws -> Int {
        try await withWriter { db in
            let stmt = try db.statement("DELETE FROM commit_receipts WHERE key IN (SELECT key FROM commit_receipts WHERE ts < ?1 ORDER BY ts LIMIT ?2)")
            stmt.bind(1, ts)
            stmt.bind(2, Int64(limit))
            try stmt.run()
            return db.changes
        }
    }

    public func rowCounts() async throws -> (documents: Int, indexEntries: Int) {
        try await withReader { db in
            let docs = try db.statement("SELECT COUNT(*) FROM documents")
            _ = try docs.step()
            let d = Int(docs.int64(0))
            let idx = try db.statement("SELECT COUNT(*) FROM indexes")
            _ = try idx.step()
            return (d, Int(idx.int64(0)))
        }
    }

    /// Stops the thread pool, so later calls throw; the SQLite connections close when this is freed.
    public func close() async throws {
        try await threadPool.shutdownGracefully()
    }
}

extension SQLiteStatement {
    fileprivate func insert(_ version: DocumentVersion) throws {
        bind(1, Int64(version.id.tableNumber))
        bind(2, version.id.internalID.bytes)
        bind(3, version.ts)
        if let value = version.value { bind(4, value.binaryEncoded) } else { bindNull(4) }
        bind(5, Int64(version.value == nil ? 1 : 0))
        if let prev = version.prevTs { bind(6, prev) } else { bindNull(6) }
        try run()
    }
}
