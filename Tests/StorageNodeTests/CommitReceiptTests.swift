import Foundation
import Protocol
@testable import StorageNode
import Synchronization
import XCTest

/// Idempotency keys on commits: a mutation retried after its runner died commits at most once, and
/// the retry gets the first commit's outcome.
final class CommitReceiptTests: XCTestCase {
    var t: TestNode!

    override func setUp() async throws { t = try await TestNode() }
    override func tearDown() async throws { await t.remove() }

    private func insertWrite(_ table: TableInfo, _ fields: [String: Value], begin: Timestamp) -> (DocumentID, [DocumentWrite]) {
        let (id, doc) = TestNode.document(table, fields, creationTs: begin)
        return (id, [DocumentWrite(id: id, value: doc)])
    }

    /// Inserts a document under `key` and returns the commit timestamp.
    private func insertOnce(_ table: TableInfo, key: IdempotencyKey, outcome: [UInt8]) async throws -> Timestamp {
        let begin = try await t.latest()
        let (_, writes) = insertWrite(table, ["n": 1.0], begin: begin)
        guard case .committed(let ts) = try await t.commit(begin: begin, writes: writes, receipt: CommitReceipt(key: key, outcome: outcome)) else {
            throw TestError.unexpected
        }
        return ts
    }

    func testARepeatedKeyGetsTheFirstOutcomeAndWritesNothing() async throws {
        let table = try await t.createTable("notes")
        let key = IdempotencyKey.generate()
        let begin = try await t.latest()
        let (firstID, firstWrites) = insertWrite(table, ["n": 1.0], begin: begin)
        let first = try await t.commit(begin: begin, writes: firstWrites, receipt: CommitReceipt(key: key, outcome: [1, 2, 3]))
        guard case .committed(let ts) = first else { return XCTFail("\(first)") }

        let (secondID, secondWrites) = insertWrite(table, ["n": 2.0], begin: ts)
        let second = try await t.commit(begin: ts, writes: secondWrites, receipt: CommitReceipt(key: key, outcome: [9]))
        XCTAssertEqual(second, .alreadyCommitted(ts: ts, outcome: [1, 2, 3]))
        let kept = try await t.get(firstID)
        let dropped = try await t.get(secondID)
        XCTAssertNotNil(kept)
        XCTAssertNil(dropped)
        let latest = try await t.latest()
        XCTAssertEqual(latest, ts, "the repeat committed nothing")
    }

    func testARetryFindsTheReceiptOnDiskAfterARestart() async throws {
        let table = try await t.createTable("notes")
        let key = IdempotencyKey.generate()
        let ts = try await insertOnce(table, key: key, outcome: [7])
        try await t.reopen()
        let (id, again) = insertWrite(table, ["n": 1.0], begin: ts)
        let retry = try await t.commit(begin: ts, writes: again, receipt: CommitReceipt(key: key, outcome: [8], isRetry: true))
        XCTAssertEqual(retry, .alreadyCommitted(ts: ts, outcome: [7]))
        let absent = try await t.get(id)
        XCTAssertNil(absent)
    }

    /// A key sent again as a first attempt (not marked a retry) after the committer has forgotten it:
    /// only a client that breaks the protocol does this. The node commits it as asked, keeps the first
    /// receipt, and goes on taking commits; it used to fail the batch on the duplicate key and refuse
    /// every commit after.
    func testAKeyReusedAsAFirstAttemptAfterARestartDoesNotStopTheNode() async throws {
        let table = try await t.createTable("notes")
        let key = IdempotencyKey.generate()
        let first = try await insertOnce(table, key: key, outcome: [7])
        try await t.reopen()
        let reused = try await insertOnce(table, key: key, outcome: [8])
        XCTAssertGreaterThan(reused, first)
        let retry = try await t.commit(begin: reused, writes: insertWrite(table, ["n": 3.0], begin: reused).1,
                                       receipt: CommitReceipt(key: key, outcome: [9], isRetry: true))
        XCTAssertEqual(retry, .alreadyCommitted(ts: first, outcome: [7]), "the first receipt stays")
        let after = try await insertOnce(table, key: .generate(), outcome: [])
        XCTAssertGreaterThan(after, reused, "the node still takes commits")
    }

    func testAConflictLeavesNoReceiptSoTheRetryCommits() async throws {
        let table = try await t.createTable("counters")
        let (id, _) = try await t.insert(table, ["n": 0.0])
        let byID = try await t.index("counters", "by_id")
        let begin = try await t.latest()
        let doc = try await t.require(id, at: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 1.0]))])
        let key = IdempotencyKey.generate()
        let conflicted = try await t.commit(begin: begin, reads: ReadSet.point(id, byID: byID),
                                            writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 5.0]))],
                                            receipt: CommitReceipt(key: key, outcome: [1]))
        XCTAssertEqual(conflicted, .conflict(table: "counters"))
        let now = try await t.latest()
        let current = try await t.require(id, at: now)
        let retry = try await t.commit(begin: now, reads: ReadSet.point(id, byID: byID),
                                       writes: [DocumentWrite(id: id, value: TestNode.withFields(current.value, ["n": 2.0]))],
                                       receipt: CommitReceipt(key: key, outcome: [2]))
        guard case .committed = retry else { return XCTFail("\(retry)") }
    }

    func testRetentionForgetsOldReceipts() async throws {
        await t.remove()
        var configuration = StorageNodeConfiguration()
        configuration.receiptRetentionNanos = 1
        t = try await TestNode(configuration: configuration)
        let table = try await t.createTable("notes")
        let key = IdempotencyKey.generate()
        let ts = try await insertOnce(table, key: key, outcome: [7])
        try await Task.sleep(for: .milliseconds(5))
        let deleted = try await t.node.runRetention()
        XCTAssertGreaterThanOrEqual(deleted, 1)
        try await t.reopen()
        let (id, again) = insertWrite(table, ["n": 1.0], begin: ts)
        let retry = try await t.commit(begin: ts, writes: again, receipt: CommitReceipt(key: key, outcome: [8], isRetry: true))
        guard case .committed = retry else { return XCTFail("a forgotten receipt cannot stop a commit: \(retry)") }
        let inserted = try await t.get(id)
        XCTAssertNotNil(inserted)
    }

    /// Receipts that expire together (a burst of mutations) go a chunk per transaction, so commits
    /// waiting for the writer meanwhile wait for one chunk, not for all of them.
    func testExpiredReceiptsAreDeletedAChunkAtATime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-receipt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let deletions = Mutex<[Int]>([])
        let persistence = HookedPersistence(try SQLitePersistence(path: directory.appendingPathComponent("db.sqlite3").path),
                                            afterDeleteReceipts: { deleted in deletions.withLock { $0.append(deleted) } })
        var configuration = StorageNodeConfiguration()
        configuration.receiptRetentionNanos = 1
        configuration.receiptRetentionChunk = 2
        let node = try await StorageNode.open(persistence: persistence, configuration: configuration)
        defer { Task { try? await node.close() } }
        guard case .table(let table) = await node.handle(.createTable(name: "notes"), connection: 1) else { return XCTFail() }
        var keys: [IdempotencyKey] = []
        for n in 0..<5 {
            guard case .timestamp(let begin, _) = await node.handle(.latestTimestamp, connection: 1) else { return XCTFail() }
            let key = IdempotencyKey.generate()
            let (_, writes) = insertWrite(table, ["n": .float64(Double(n))], begin: begin)
            guard case .commit(.committed) = await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: writes,
                                                                                     receipt: CommitReceipt(key: key, outcome: [1]))), connection: 1)
            else { return XCTFail("commit \(n) failed") }
            keys.append(key)
        }
        try await Task.sleep(for: .milliseconds(5))
        let deleted = try await node.runRetention()
        XCTAssertEqual(deletions.withLock { $0 }, [2, 2, 1])
        XCTAssertEqual(deleted, 5)
        for key in keys {
            let receipt = try await persistence.receipt(key: key.bytes)
            XCTAssertNil(receipt)
        }
    }

    /// The first commit is validated but its durable write is held; a repeat of its key arrives then.
    /// It must neither commit again nor answer before the first is durable.
    func testARepeatWhileTheFirstIsOnItsWayToDiskWaitsForIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-receipt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hold = Atomic<Bool>(false)
        let persistence = HookedPersistence(try SQLitePersistence(path: directory.appendingPathComponent("db.sqlite3").path), beforeWrite: { batch in
            if !batch.receipts.isEmpty { while hold.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) } }
        })
        let node = try await StorageNode.open(persistence: persistence)
        defer { Task { try? await node.close() } }
        guard case .table(let table) = await node.handle(.createTable(name: "notes"), connection: 1),
              case .timestamp(let begin, _) = await node.handle(.latestTimestamp, connection: 1)
        else { return XCTFail() }
        let key = IdempotencyKey.generate()
        let (_, firstWrites) = insertWrite(table, ["n": 1.0], begin: begin)
        let (secondID, secondWrites) = insertWrite(table, ["n": 2.0], begin: begin)
        hold.store(true, ordering: .relaxed)
        let first = Task {
            await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: firstWrites,
                                                    receipt: CommitReceipt(key: key, outcome: [1]))), connection: 1)
        }
        try await Task.sleep(for: .milliseconds(100))
        let secondDone = Atomic<Bool>(false)
        let second = Task {
            let response = await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: secondWrites,
                                                                   receipt: CommitReceipt(key: key, outcome: [2]))), connection: 2)
            secondDone.store(true, ordering: .relaxed)
            return response
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertFalse(secondDone.load(ordering: .relaxed), "answered before the first commit was durable")
        hold.store(false, ordering: .relaxed)
        guard case .commit(.committed(let ts)) = await first.value else { return XCTFail("first commit failed") }
        let repeated = await second.value
        XCTAssertEqual(repeated, .commit(.alreadyCommitted(ts: ts, outcome: [1])))
        guard case .documents(let found) = await node.handle(.get(ts: ts, ids: [secondID]), connection: 1) else { return XCTFail() }
        XCTAssertEqual(found.count, 1)
        XCTAssertNil(found[0])
    }
}
