import ConvergeTestSupport
import Foundation
@testable import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// The catalog of tables and indexes as functions see it while it changes: a table that does not exist
/// yet, a snapshot older than a table, and tables and indexes created after the runner's client cached
/// the catalog.
final class CatalogTests: XCTestCase {
    let app = AppHarness()

    override func tearDown() async throws { await app.stop() }

    /// A query of a table that does not exist yet reads as empty and records a read the storage node can
    /// watch, so that the insert that creates the table invalidates it.
    func testQueryOfMissingTableRecordsARead() async throws {
        try await app.start()
        let result = try await app.executor.runQuery(AppHarness.request("review:readMissingTable"))
        XCTAssertEqual(try app.value(result.outcome), 0.0)
        XCTAssertGreaterThan(result.readSet.count, 0, "the query read nothing the storage node can watch")
        _ = try await app.mutationValue("review:insertIntoNewTable")
        let after = try await app.queryValue("review:readMissingTable")
        XCTAssertEqual(after, 1.0)
    }

    /// A query at a snapshot taken before a table was created reads that table as empty: the catalog it
    /// reads is the snapshot's, not the newest.
    func testQueryAtASnapshotBeforeATableExistedReadsItAsEmpty() async throws {
        try await app.start()
        let before = try await app.storage.latestTimestamp()
        _ = try await app.storage.createTable("late")
        let result = try await app.executor.runQuery(AppHarness.request("review:readLateTable"), at: before)
        XCTAssertEqual(try app.value(result.outcome), 0.0)
    }

    /// A mutation begins at its first read, on the catalog its client fetched last. A table created
    /// since must not read as missing: the first read sees the catalog changed and the mutation runs
    /// again, even though the function caught the error it got.
    func testMutationBegunOnAStaleCatalogRunsAgainAtItsFirstRead() async throws {
        try await app.start()
        let before = try await app.mutationValue("review:countLateInMutation")
        XCTAssertEqual(before, 0.0)
        let other = try await app.node.connect()
        _ = try await other.createTable("late")
        var tx = try await StorageTransaction.begin(other)
        try tx.insert(into: "late", ["x": 1.0])
        guard case .committed = try await tx.commit() else { return XCTFail("the insert did not commit") }
        await other.close()
        let after = try await app.mutationValue("review:countLateInMutation")
        XCTAssertEqual(after, 1.0)
    }

    /// An ID of a table created since the runner's client last fetched the catalog is valid: argument
    /// validation, which asks the catalog before the mutation reads anything, finds the table.
    func testAnIDOfATableCreatedSinceTheCatalogWasCachedIsValidBeforeAnyRead() async throws {
        try await app.start()
        _ = try await app.mutationValue("review:countLateInMutation")
        let other = try await app.node.connect()
        _ = try await other.createTable("late")
        var tx = try await StorageTransaction.begin(other)
        let id = try tx.insert(into: "late", ["x": 1.0])
        guard case .committed = try await tx.commit() else { return XCTFail("the insert did not commit") }
        await other.close()
        let normalized = try await app.mutationValue("review:acceptLateId", ["id": .string(id.description)])
        XCTAssertEqual(normalized, .string(id.description))
    }

    /// The same for an index: one created since the catalog was cached is there for the first read.
    func testAnIndexCreatedSinceTheCatalogWasCachedIsFoundBeforeAnyRead() async throws {
        try await app.start()
        _ = try await app.mutationValue("review:countLateInMutation")
        _ = try await app.mutationValue("review:insertRaw", ["doc": ["body": "hello", "author": "a"]])
        let other = try await app.node.connect()
        _ = try await other.createIndex(table: "messages", name: "by_body", fields: ["body", "_creationTime"])
        await other.close()
        let count = try await app.mutationValue("review:countByBodyInMutation")
        XCTAssertEqual(count, 1.0)
    }
}
