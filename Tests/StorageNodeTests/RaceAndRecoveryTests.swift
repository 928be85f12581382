import Foundation
import Protocol
@testable import StorageNode
import Synchronization
import XCTest

/// Races between commits, catalog changes, retention and connections, and restarts after them.
final class RaceAndRecoveryTests: XCTestCase {
    var t: TestNode?
    var directory: URL?

    override func tearDown() async throws {
        await t?.remove()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func freshPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("converge-race-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = dir
        return dir.appendingPathComponent("db.sqlite3").path
    }

    private func expect(_ response: StorageResponse, file: StaticString = #filePath, line: UInt = #line) throws -> StorageResponse {
        if case .error(let error) = response {
            XCTFail("request failed: \(error)", file: file, line: line)
            throw error
        }
        return response
    }

    // MARK: 1. Recovery: no persisted timestamp high-water mark

    /// The last commit deletes a document; once retention removes its tombstone, MAX(ts) of the
    /// document log is below the persisted retention progress. After a restart publishedTs < minReadTs,
    /// so no read and no commit can succeed.
    func testNodeIsUsableAfterRestartWhenRetentionRemovedTheNewestTombstone() async throws {
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = 1_000_000 // 1 ms
        let t = try await TestNode(configuration: configuration)
        self.t = t
        let table = try await t.createTable("notes")
        let (id, _) = try await t.insert(table, ["n": 1.0])
        guard case .committed(let deletedAt) = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: id, value: nil)]) else {
            return XCTFail("delete failed")
        }
        try await Task.sleep(for: .milliseconds(5))
        try await t.node.runRetention()
        try await t.reopen()

        let latest = try await t.latest()
        XCTAssertGreaterThanOrEqual(latest, deletedAt, "the latest timestamp went backwards across a restart")
        do {
            _ = try await t.get(id, at: latest)
        } catch {
            XCTFail("read at the latest timestamp after restart failed: \(error)")
        }
        do {
            try await t.insert(table, ["n": 2.0])
        } catch {
            XCTFail("commit after restart failed: \(error)")
        }
    }

    /// A commit with no writes is acknowledged with a timestamp that nothing persists.
    func testAcknowledgedTimestampOfEmptyCommitSurvivesRestart() async throws {
        let t = try await TestNode()
        self.t = t
        try await t.createTable("notes")
        guard case .committed(let ts) = try await t.commit(begin: try await t.latest(), writes: []) else {
            return XCTFail("empty commit failed")
        }
        try await t.reopen()
        let latest = try await t.latest()
        XCTAssertGreaterThanOrEqual(latest, ts, "an acknowledged commit timestamp is above the latest timestamp after restart")
    }

    // MARK: 2. Retention progress is not persisted atomically with the deletions

    func testCrashBetweenRetentionDeleteAndProgressWriteDoesNotExposeDeletedVersions() async throws {
        let path = try freshPath()
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = 1_000_000
        configuration.retentionChunk = 1
        // Stand-in for SIGKILL part-way through retention: after the first chunk's transaction committed.
        let calls = Atomic<Int>(0)
        let persistence = HookedPersistence(try SQLitePersistence(path: path), beforeDeleteVersions: {
            if calls.add(1, ordering: .relaxed).newValue > 1 { throw SQLiteError(code: 10, message: "simulated crash") }
        })
        let node = try await StorageNode.open(persistence: persistence, configuration: configuration)
        guard case .table(let table) = try expect(await node.handle(.createTable(name: "notes"), connection: 1)),
              case .timestamp(let begin, _) = try expect(await node.handle(.latestTimestamp, connection: 1))
        else { return XCTFail() }
        let (id, v1) = TestNode.document(table, ["n": 1.0], creationTs: begin)
        guard case .commit(.committed(let ts1)) = try expect(await node.handle(.commit(CommitRequest(
            beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: v1)])), connection: 1))
        else { return XCTFail() }
        guard case .commit(.committed) = try expect(await node.handle(.commit(CommitRequest(
            beginTs: ts1, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: TestNode.withFields(v1, ["n": 2.0]))])), connection: 1))
        else { return XCTFail() }
        try await Task.sleep(for: .milliseconds(5))
        do {
            try await node.runRetention()
            XCTFail("the simulated crash did not happen")
        } catch {}
        try await node.close()

        let restarted = try await StorageNode.open(persistence: try SQLitePersistence(path: path), configuration: configuration)
        let response = await restarted.handle(.get(ts: ts1, ids: [id]), connection: 1)
        switch response {
        case .error(let error):
            XCTAssertEqual(error.code, .timestampTooOld)
        case .documents(let docs):
            XCTAssertEqual(docs.first??.value["n"], 1.0, "a read the node accepts at \(ts1) returned a state retention already deleted: \(docs)")
        default:
            XCTFail("unexpected \(response)")
        }
        try await restarted.close()
    }

    // MARK: 3. Dropping an index: reads of it are never validated or invalidated again

    func testTransactionThatReadADroppedIndexConflictsWithLaterWritesToTheRange() async throws {
        let t = try await TestNode()
        self.t = t
        let table = try await t.createTable("messages")
        let byChannel = try await t.createIndex("messages", "by_channel", ["channel"])
        let begin = try await t.latest()
        // T1 scanned channel "a" on by_channel at `begin` and found nothing.
        let empty = try await t.scan(byChannel, .prefix(["a"]), at: begin)
        XCTAssertTrue(empty.entries.isEmpty)
        let reads = ReadSet([byChannel.id: [.prefix(["a"])]])
        // Concurrently: the index is dropped and T2 puts a message in channel "a".
        _ = try await t.request(.dropIndex(table: "messages", name: "by_channel"))
        try await t.insert(table, ["channel": "a"])
        // T1 commits a write that depends on "channel a is empty": not serializable after T2.
        let (otherID, other) = TestNode.document(table, ["channel": "b"], creationTs: begin)
        let result = try await t.commit(begin: begin, reads: reads, writes: [DocumentWrite(id: otherID, value: other)])
        guard case .conflict = result else {
            return XCTFail("a transaction whose read of a dropped index was invalidated committed: \(result)")
        }
    }

    func testSubscriptionOnADroppedIndexIsInvalidated() async throws {
        let t = try await TestNode()
        self.t = t
        let recorder = InvalidationRecorder()
        t.node.attach(connection: 1) { recorder.record($0) }
        let table = try await t.createTable("messages")
        let byChannel = try await t.createIndex("messages", "by_channel", ["channel"])
        let ts = try await t.latest()
        _ = try await t.request(.subscribe(SubscribeRequest(id: 1, ts: ts, readSet: ReadSet([byChannel.id: [.prefix(["a"])]]))))
        _ = try await t.request(.dropIndex(table: "messages", name: "by_channel"))
        try await t.insert(table, ["channel": "a"])
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(recorder.ids, [1], "a live query over a dropped index never learns that its result changed")
    }

    // MARK: 4. Concurrent createIndex of the same index

    /// The second createIndex finds the index backfilling, backfills it itself at the *published*
    /// timestamp (which can be below the index's own commit timestamp) and marks it ready, while the
    /// first caller's backfill has not run yet. Commits validated before the index existed but not yet
    /// published are in neither the index entries nor the second backfill.
    func testSecondConcurrentCreateIndexDoesNotMarkAnIncompleteIndexReady() async throws {
        let path = try freshPath()
        let hold = Atomic<Bool>(false)
        let heldID = Mutex<DocumentID?>(nil)
        let persistence = HookedPersistence(try SQLitePersistence(path: path), beforeWrite: { batch in
            let id = heldID.withLock { $0 }
            if let id, batch.documents.contains(where: { $0.id == id }) {
                while hold.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            }
        }, beforeWriteIndexEntries: { _ in
            try await Task.sleep(for: .milliseconds(300)) // a backfill page takes a while
        })
        let node = try await StorageNode.open(persistence: persistence)
        defer { Task { try? await node.close() } }
        guard case .table(let table) = try expect(await node.handle(.createTable(name: "people"), connection: 1)),
              case .timestamp(let begin, _) = try expect(await node.handle(.latestTimestamp, connection: 1))
        else { return XCTFail() }
        let (late, lateDoc) = TestNode.document(table, ["age": 7.0], creationTs: begin)
        heldID.withLock { $0 = late }
        hold.store(true, ordering: .relaxed)

        // The insert validates (before the index exists) and its group commit is in progress.
        let insert = Task { await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: late, value: lateDoc)])), connection: 1) }
        try await Task.sleep(for: .milliseconds(100))
        let first = Task { await node.handle(.createIndex(table: "people", name: "by_age", fields: ["age"]), connection: 1) }
        try await Task.sleep(for: .milliseconds(100))
        let second = Task { await node.handle(.createIndex(table: "people", name: "by_age", fields: ["age"]), connection: 2) }
        // Wait until the second caller has finished its backfill and asked for the index to be marked ready.
        for _ in 0..<200 {
            let state = await node.committer.catalog.index(table: table.number, name: "by_age")?.state
            if state == .ready { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        hold.store(false, ordering: .relaxed)

        guard case .index(let index) = try expect(await second.value) else { return XCTFail() }
        XCTAssertEqual(index.state, .ready)
        guard case .timestamp(let now, _) = await node.handle(.latestTimestamp, connection: 1) else { return XCTFail() }
        let scan = ScanRequest(ts: now, index: index.id, interval: .all, order: .ascending, limit: 100)
        guard case .scanPage(let page) = try expect(await node.handle(.scan(scan), connection: 1)) else { return XCTFail() }
        XCTAssertEqual(page.entries.map(\.document.id), [late], "createIndex returned a ready index that misses a committed document")
        _ = await insert.value
        _ = await first.value
    }

    // MARK: 4b. Catalog answers before durability

    /// createTable of a name whose creation is still in its group commit returns the table at once,
    /// before that commit is durable (and `.catalog` lists it): an acknowledgement a crash can take back.
    func testCreateTableIsNotAcknowledgedBeforeItIsDurable() async throws {
        let path = try freshPath()
        let hold = Atomic<Bool>(false)
        let persistence = HookedPersistence(try SQLitePersistence(path: path), beforeWrite: { _ in
            while hold.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        })
        let node = try await StorageNode.open(persistence: persistence)
        hold.store(true, ordering: .relaxed)
        let first = Task { await node.handle(.createTable(name: "notes"), connection: 1) }
        try await Task.sleep(for: .milliseconds(100))
        let secondDone = Atomic<Bool>(false)
        let second = Task {
            let response = await node.handle(.createTable(name: "notes"), connection: 2)
            secondDone.store(true, ordering: .relaxed)
            return response
        }
        try await Task.sleep(for: .milliseconds(200))
        let acknowledgedEarly = secondDone.load(ordering: .relaxed)
        hold.store(false, ordering: .relaxed)
        _ = await first.value
        _ = await second.value
        XCTAssertFalse(acknowledgedEarly, "createTable answered while the table's creation was not yet durable")
        try await node.close()
    }

    // MARK: 5. Subscriptions outliving their connection

    /// The server handles each request in its own Task and detaches a closed connection in another, so a
    /// subscribe can reach the committer after the detach; its subscription then stays forever.
    func testSubscribeAfterDetachIsNotKeptForever() async throws {
        let t = try await TestNode()
        self.t = t
        let table = try await t.createTable("notes")
        let byID = try await t.index("notes", "by_id")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        t.node.attach(connection: 2) { _ in }
        await t.node.detach(connection: 2)
        _ = await t.node.handle(.subscribe(SubscribeRequest(id: 1, ts: ts, readSet: .point(id, byID: byID))), connection: 2)
        let count = await t.node.committer.subscriptionCount
        XCTAssertEqual(count, 0, "a subscription of a detached connection is registered and never removed")
    }
}
