import Protocol
@testable import StorageNode
import XCTest

final class RetentionTests: XCTestCase {
    var t: TestNode!

    override func tearDown() async throws { await t?.remove() }

    func testUpdateHeavyWorkloadStaysBoundedAfterRetention() async throws {
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = 1_000_000 // 1 ms
        configuration.retentionChunk = 50
        t = try await TestNode(configuration: configuration)
        let table = try await t.createTable("counters")
        let byValue = try await t.createIndex("counters", "by_value", ["value"])
        var ids: [DocumentID] = []
        for _ in 0..<5 { ids.append(try await t.insert(table, ["value": .int64(0)]).0) }
        for round in 1...40 {
            for id in ids {
                let doc = try await t.require(id)
                let begin = try await t.latest()
                _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["value": .int64(Int64(round))]))])
            }
        }
        let before = try await t.node.rowCounts()
        XCTAssertGreaterThan(before.documents, 200)
        try await Task.sleep(for: .milliseconds(5))
        try await t.node.runRetention()
        let after = try await t.node.rowCounts()
        // Each live document keeps its latest version; the catalog's documents keep theirs.
        let catalogDocs = 1 + 3 // one _tables row, three _index rows
        XCTAssertEqual(after.documents, ids.count + catalogDocs)
        // by_id, by_creation_time and by_value: one live entry per document, plus catalog entries (2 indexes each).
        XCTAssertEqual(after.indexEntries, ids.count * 3 + catalogDocs * 2)
        // The latest state reads as before.
        let latest = try await t.scan(byValue)
        XCTAssertEqual(latest.entries.map { $0.document.value["value"] }, Array(repeating: .int64(40), count: 5))
        for id in ids { _ = try await t.require(id) }
    }

    func testReadsOlderThanRetentionAreRejected() async throws {
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = 1_000_000
        t = try await TestNode(configuration: configuration)
        let table = try await t.createTable("notes")
        let (id, old) = try await t.insert(table, ["n": 1.0])
        let doc = try await t.require(id)
        _ = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 2.0]))])
        try await Task.sleep(for: .milliseconds(5))
        try await t.insert(table, ["n": 3.0])
        try await t.node.runRetention()
        do {
            _ = try await t.get(id, at: old)
            XCTFail("read below the retention window")
        } catch let error as StorageError {
            XCTAssertEqual(error.code, .timestampTooOld)
        }
    }

    func testDeletedDocumentsLeaveNothingBehind() async throws {
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = 1_000_000
        t = try await TestNode(configuration: configuration)
        let table = try await t.createTable("notes")
        let (id, _) = try await t.insert(table, ["n": 1.0])
        let base = try await t.node.rowCounts()
        _ = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: id, value: nil)])
        try await Task.sleep(for: .milliseconds(5))
        try await t.node.runRetention()
        let after = try await t.node.rowCounts()
        XCTAssertEqual(after.documents, base.documents - 1)
        XCTAssertEqual(after.indexEntries, base.indexEntries - 2)
    }
}
