import Protocol
@testable import StorageNode
import XCTest

final class CommitterTests: XCTestCase {
    var t: TestNode!

    override func setUp() async throws { t = try await TestNode() }
    override func tearDown() async throws { await t.remove() }

    func testCommittedWriteIsVisibleAtItsTimestampAndNotBefore() async throws {
        let table = try await t.createTable("notes")
        let before = try await t.latest()
        let (id, ts) = try await t.insert(table, ["text": "hi"])
        XCTAssertGreaterThan(ts, before)
        let seen = try await t.get(id, at: ts)
        XCTAssertEqual(seen?.value["text"], "hi")
        XCTAssertEqual(seen?.ts, ts)
        let earlier = try await t.get(id, at: before)
        XCTAssertNil(earlier)
    }

    func testOldTimestampStillSeesOldVersion() async throws {
        let table = try await t.createTable("notes")
        let (id, ts1) = try await t.insert(table, ["n": 1.0])
        let doc = try await t.require(id)
        let result = try await t.commit(begin: ts1, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 2.0]))])
        guard case .committed(let ts2) = result else { return XCTFail("\(result)") }
        let atOne = try await t.get(id, at: ts1)
        let atTwo = try await t.get(id, at: ts2)
        XCTAssertEqual(atOne?.value["n"], 1.0)
        XCTAssertEqual(atTwo?.value["n"], 2.0)
    }

    func testConflictingWriteAbortsSecondCommit() async throws {
        let table = try await t.createTable("counters")
        let (id, _) = try await t.insert(table, ["n": 0.0])
        let byID = try await t.index("counters", "by_id")
        let begin = try await t.latest()
        let doc = try await t.require(id, at: begin)
        let reads = ReadSet.point(id, byID: byID)
        let first = try await t.commit(begin: begin, reads: reads, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 1.0]))])
        let second = try await t.commit(begin: begin, reads: reads, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 1.0]))])
        guard case .committed = first else { return XCTFail("first commit failed: \(first)") }
        XCTAssertEqual(second, .conflict(table: "counters"))
        let current = try await t.get(id)
        XCTAssertEqual(current?.value["n"], 1.0)
    }

    func testBlindWritesToTheSameDocumentConflict() async throws {
        let table = try await t.createTable("counters")
        let (id, _) = try await t.insert(table, ["n": 0.0])
        let begin = try await t.latest()
        let doc = try await t.require(id, at: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 1.0]))])
        let second = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 2.0]))])
        XCTAssertEqual(second, .conflict(table: "counters"))
    }

    func testDisjointTransactionsBothCommit() async throws {
        let table = try await t.createTable("accounts")
        let (a, _) = try await t.insert(table, ["balance": 10.0])
        let (b, _) = try await t.insert(table, ["balance": 10.0])
        let byID = try await t.index("accounts", "by_id")
        let begin = try await t.latest()
        let docA = try await t.require(a, at: begin), docB = try await t.require(b, at: begin)
        let r1 = try await t.commit(begin: begin, reads: .point(a, byID: byID), writes: [DocumentWrite(id: a, value: TestNode.withFields(docA.value, ["balance": 5.0]))])
        let r2 = try await t.commit(begin: begin, reads: .point(b, byID: byID), writes: [DocumentWrite(id: b, value: TestNode.withFields(docB.value, ["balance": 5.0]))])
        guard case .committed = r1, case .committed = r2 else { return XCTFail("\(r1) \(r2)") }
    }

    func testInsertIntoScannedRangeConflicts() async throws {
        let table = try await t.createTable("messages")
        let byChannel = try await t.createIndex("messages", "by_channel", ["channel"])
        try await t.insert(table, ["channel": "a"])
        let begin = try await t.latest()
        let reads = ReadSet([byChannel.id: [.prefix([.string("a")])]])
        // A phantom: another transaction adds a row to the range the first one scanned.
        let (phantomID, phantom) = TestNode.document(table, ["channel": "a"], creationTs: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: phantomID, value: phantom)])
        let (otherID, other) = TestNode.document(table, ["channel": "b"], creationTs: begin)
        let result = try await t.commit(begin: begin, reads: reads, writes: [DocumentWrite(id: otherID, value: other)])
        XCTAssertEqual(result, .conflict(table: "messages"))
    }

    func testInsertOutsideScannedRangeDoesNotConflict() async throws {
        let table = try await t.createTable("messages")
        let byChannel = try await t.createIndex("messages", "by_channel", ["channel"])
        let begin = try await t.latest()
        let reads = ReadSet([byChannel.id: [.prefix([.string("a")])]])
        let (bID, b) = TestNode.document(table, ["channel": "b"], creationTs: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: bID, value: b)])
        // "a\0" is a different channel whose encoded key starts with the bytes of "a".
        let (nulID, nul) = TestNode.document(table, ["channel": "a\u{0}"], creationTs: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: nulID, value: nul)])
        let (cID, c) = TestNode.document(table, ["channel": "c"], creationTs: begin)
        let result = try await t.commit(begin: begin, reads: reads, writes: [DocumentWrite(id: cID, value: c)])
        guard case .committed = result else { return XCTFail("unexpected \(result)") }
    }

    func testReadOfMissingDocumentConflictsWithItsLaterInsert() async throws {
        let table = try await t.createTable("users")
        let byID = try await t.index("users", "by_id")
        let begin = try await t.latest()
        let (id, doc) = TestNode.document(table, ["name": "ann"], creationTs: begin)
        // The first transaction looked the ID up and found nothing.
        let missing = try await t.get(id, at: begin)
        XCTAssertNil(missing)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: doc)])
        let (otherID, other) = TestNode.document(table, ["name": "bob"], creationTs: begin)
        let result = try await t.commit(begin: begin, reads: .point(id, byID: byID), writes: [DocumentWrite(id: otherID, value: other)])
        XCTAssertEqual(result, .conflict(table: "users"))
    }

    func testIndexKeyChangeConflictsWithReadersOfTheOldKey() async throws {
        let table = try await t.createTable("tasks")
        let byStatus = try await t.createIndex("tasks", "by_status", ["status"])
        let (id, _) = try await t.insert(table, ["status": "open"])
        let begin = try await t.latest()
        let doc = try await t.require(id, at: begin)
        _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["status": "done"]))])
        let (otherID, other) = TestNode.document(table, ["status": "x"], creationTs: begin)
        let result = try await t.commit(begin: begin, reads: ReadSet([byStatus.id: [.prefix(["open"])]]), writes: [DocumentWrite(id: otherID, value: other)])
        XCTAssertEqual(result, .conflict(table: "tasks"))
    }

    func testTimestampsIncreaseAcrossRestarts() async throws {
        let table = try await t.createTable("notes")
        let (_, ts1) = try await t.insert(table, ["n": 1.0])
        try await t.reopen()
        let latest = try await t.latest()
        XCTAssertEqual(latest, ts1)
        let (_, ts2) = try await t.insert(table, ["n": 2.0])
        XCTAssertGreaterThan(ts2, ts1)
    }

    func testTransactionOlderThanWriteLogMustRetry() async throws {
        let table = try await t.createTable("notes")
        let begin = try await t.latest()
        try await t.insert(table, ["n": 1.0])
        // After a restart the write log starts at the last commit; earlier begin timestamps cannot be validated.
        try await t.reopen()
        let (id, doc) = TestNode.document(table, ["n": 2.0], creationTs: begin)
        do {
            _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: doc)])
            XCTFail("expected timestampTooOld")
        } catch let error as StorageError {
            XCTAssertEqual(error.code, .timestampTooOld)
        }
    }

    func testWriteLogEvictsByAgeAndRejectsOlderTransactions() async throws {
        var configuration = StorageNodeConfiguration()
        configuration.writeLogMaxAgeNanos = 1
        await t.remove()
        t = try await TestNode(configuration: configuration)
        let table = try await t.createTable("notes")
        let begin = try await t.latest()
        try await t.insert(table, ["n": 1.0])
        try await Task.sleep(for: .milliseconds(5))
        try await t.insert(table, ["n": 2.0])
        let (id, doc) = TestNode.document(table, ["n": 3.0], creationTs: begin)
        do {
            _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: doc)])
            XCTFail("expected timestampTooOld")
        } catch let error as StorageError {
            XCTAssertEqual(error.code, .timestampTooOld)
        }
    }

    func testConcurrentCommitsShareDurableWrites() async throws {
        let table = try await t.createTable("events")
        let begin = try await t.latest()
        let before = await t.node.committer.durableWrites
        let node: StorageNode = t.node
        let results = await withTaskGroup(of: StorageResponse.self) { group in
            for i in 0..<200 {
                group.addTask {
                    let (id, doc) = TestNode.document(table, ["i": .int64(Int64(i))], creationTs: begin)
                    let commit = CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: doc)])
                    return await node.handle(.commit(commit), connection: 1)
                }
            }
            return await group.reduce(into: [StorageResponse]()) { $0.append($1) }
        }
        let timestamps = results.compactMap { if case .commit(.committed(let ts)) = $0 { return ts } else { return nil } }
        XCTAssertEqual(Set(timestamps).count, 200, "every commit gets its own timestamp")
        let writes = await t.node.committer.durableWrites - before
        XCTAssertLessThan(writes, 200, "group commit should put several commits in one durable write")
    }

    func testDeletedDocumentIsGoneAndItsIndexEntriesToo() async throws {
        let table = try await t.createTable("notes")
        let byTag = try await t.createIndex("notes", "by_tag", ["tag"])
        let (id, _) = try await t.insert(table, ["tag": "x"])
        let begin = try await t.latest()
        guard case .committed(let ts) = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: nil)]) else { return XCTFail() }
        let after = try await t.get(id, at: ts)
        XCTAssertNil(after)
        let page = try await t.scan(byTag, .prefix(["x"]), at: ts)
        XCTAssertTrue(page.entries.isEmpty)
        let before = try await t.scan(byTag, .prefix(["x"]), at: begin)
        XCTAssertEqual(before.entries.map(\.document.id), [id])
    }

    func testInvalidWritesAreRejectedAndChangeNothing() async throws {
        let table = try await t.createTable("notes")
        let begin = try await t.latest()
        let (id, doc) = TestNode.document(table, ["ok": true], creationTs: begin)
        let wrongID = DocumentID.generate(tableNumber: table.number, nowMillis: 1)
        let (ghostID, ghost) = TestNode.document(TableInfo(name: "ghost", number: 99_999), ["ok": true], creationTs: begin)
        let badCases: [[DocumentWrite]] = [
            [DocumentWrite(id: wrongID, value: doc)],                                          // _id mismatch
            [DocumentWrite(id: id, value: TestNode.withFields(doc, ["_secret": 1.0]))],         // reserved field
            [DocumentWrite(id: id, value: TestNode.withFields(doc, ["$bad": 1.0]))],            // bad field name
            [DocumentWrite(id: id, value: TestNode.withFields(doc, ["big": .string(String(repeating: "x", count: 1 << 20))]))],
            [DocumentWrite(id: ghostID, value: ghost)],                                        // no such table
            [DocumentWrite(id: id, value: doc), DocumentWrite(id: id, value: doc)],             // same ID twice
            [DocumentWrite(id: wrongID, value: nil)],                                           // delete of nothing
        ]
        for writes in badCases {
            do {
                let result = try await t.commit(begin: begin, writes: writes)
                XCTFail("accepted \(writes.map(\.id)): \(result)")
            } catch is StorageError {}
        }
        let latest = try await t.latest()
        XCTAssertEqual(latest, begin, "no rejected write committed anything")
    }
}
