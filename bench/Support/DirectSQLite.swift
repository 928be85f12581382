import CSQLite
import Foundation
import Histogram
import Protocol

/// The baseline: the rows one single-document insert mutation writes (a document version, its `by_id`
/// and `by_creation_time` entries, and its commit receipt under a key made as the coordinator makes
/// them), and once per transaction the high-water timestamp, inserted straight into SQLite with the
/// node's schema and durability.
public enum DirectSQLite {
    /// `batchSize` inserts per transaction, for `seconds`; latency is per transaction.
    public static func run(path: String, batchSize: Int, seconds: Double) throws -> Row {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        try exec(db, """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE documents (table_number INTEGER NOT NULL, id BLOB NOT NULL, ts INTEGER NOT NULL, value BLOB,
                deleted INTEGER NOT NULL, prev_ts INTEGER, PRIMARY KEY (table_number, id, ts)) WITHOUT ROWID;
            CREATE INDEX documents_by_ts ON documents (ts);
            CREATE TABLE indexes (index_id INTEGER NOT NULL, key BLOB NOT NULL, ts INTEGER NOT NULL, deleted INTEGER NOT NULL,
                table_number INTEGER NOT NULL, document_id BLOB NOT NULL, PRIMARY KEY (index_id, key, ts)) WITHOUT ROWID;
            CREATE INDEX indexes_by_ts ON indexes (ts);
            CREATE TABLE globals (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE commit_receipts (key BLOB PRIMARY KEY, ts INTEGER NOT NULL, outcome BLOB NOT NULL) WITHOUT ROWID;
            CREATE INDEX commit_receipts_by_ts ON commit_receipts (ts);
            """)
        var insertDocument: OpaquePointer?, insertIndex: OpaquePointer?, insertReceipt: OpaquePointer?, setHighWater: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO documents VALUES (10001, ?1, ?2, ?3, 0, NULL)", -1, &insertDocument, nil)
        sqlite3_prepare_v2(db, "INSERT INTO indexes VALUES (?1, ?2, ?3, 0, 10001, ?4)", -1, &insertIndex, nil)
        sqlite3_prepare_v2(db, "INSERT INTO commit_receipts VALUES (?1, ?2, ?3)", -1, &insertReceipt, nil)
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO globals VALUES ('timestamp.high_water', ?1)", -1, &setHighWater, nil)
        defer { for statement in [insertDocument, insertIndex, insertReceipt, setHighWater] { sqlite3_finalize(statement) } }
        let payload = [UInt8](repeating: 7, count: 90)
        // A receipt keeps the mutation's return value (an insert returns its ID) and its log lines.
        let outcome = [UInt8](repeating: 5, count: 40)
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        var rows = 0
        var ts: Int64 = 1
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let begin = ContinuousClock.now
            try exec(db, "BEGIN IMMEDIATE")
            for _ in 0..<batchSize {
                ts += 1
                var id = [UInt8](repeating: 0, count: 16)
                for i in 0..<16 { id[i] = UInt8.random(in: 0...255) }
                sqlite3_reset(insertDocument)
                sqlite3_bind_blob(insertDocument, 1, id, 16, transient)
                sqlite3_bind_int64(insertDocument, 2, ts)
                sqlite3_bind_blob(insertDocument, 3, payload, Int32(payload.count), transient)
                guard sqlite3_step(insertDocument) == SQLITE_DONE else { throw BenchError("insert failed") }
                for index in [1, 2] as [Int64] {
                    sqlite3_reset(insertIndex)
                    sqlite3_bind_int64(insertIndex, 1, index)
                    sqlite3_bind_blob(insertIndex, 2, id + [UInt8(index)], 17, transient)
                    sqlite3_bind_int64(insertIndex, 3, ts)
                    sqlite3_bind_blob(insertIndex, 4, id, 16, transient)
                    guard sqlite3_step(insertIndex) == SQLITE_DONE else { throw BenchError("index insert failed") }
                }
                let key = IdempotencyKey.generate().bytes
                sqlite3_reset(insertReceipt)
                sqlite3_bind_blob(insertReceipt, 1, key, Int32(key.count), transient)
                sqlite3_bind_int64(insertReceipt, 2, ts)
                sqlite3_bind_blob(insertReceipt, 3, outcome, Int32(outcome.count), transient)
                guard sqlite3_step(insertReceipt) == SQLITE_DONE else { throw BenchError("receipt insert failed") }
            }
            let highWater = withUnsafeBytes(of: UInt64(ts).bigEndian) { Array($0) }
            sqlite3_reset(setHighWater)
            sqlite3_bind_blob(setHighWater, 1, highWater, 8, transient)
            guard sqlite3_step(setHighWater) == SQLITE_DONE else { throw BenchError("high-water write failed") }
            try exec(db, "COMMIT")
            rows += batchSize
            _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
        }
        return Row(count: rows, elapsed: (ContinuousClock.now - started).seconds, histogram: histogram)
    }

    private static func exec(_ db: OpaquePointer?, _ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("\(String(cString: sqlite3_errmsg(db))) in \(sql)")
        }
    }
}
