import ConvergeTestSupport
import Protocol
import StorageClient
import XCTest

/// Transactions that take their snapshot at the first read, against a real storage process: an
/// insert-only one commits without ever asking for a timestamp, a stale catalog is caught at the first
/// read, and the node refuses a commit without a begin timestamp that could depend on what it read.
final class BeginAtFirstReadTests: XCTestCase {
    var node: StorageProcess!
    var client: StorageClient!

    override func setUp() async throws {
        node = StorageProcess()
        try node.start()
        client = try await node.connect()
        _ = try await client.createTable("notes")
        _ = try await client.snapshot()
    }

    override func tearDown() async throws {
        await client?.close()
        node.stop()
        node.removeData()
    }

    private var now: Timestamp { Timestamp(Date().timeIntervalSince1970 * 1e9) }

    func testAnInsertOnlyTransactionCommitsWithoutABeginTimestamp() async throws {
        let creation = now
        var tx = try await StorageTransaction.beginAtFirstRead(client, now: creation)
        let id = try tx.insert(into: "notes", ["text": "blind"])
        XCTAssertNil(tx.beginTs, "an insert is not a read")
        guard case .committed(let ts) = try await tx.commit() else { return XCTFail("the insert did not commit") }

        var reader = try await StorageTransaction.begin(client)
        XCTAssertGreaterThanOrEqual(reader.beginTs ?? 0, ts)
        let stored = try await reader.get(id)
        XCTAssertEqual(stored?["text"], "blind")
        XCTAssertEqual(stored?["_creationTime"], .float64(Double(creation) / 1e6))
    }

    func testTheFirstReadTakesTheLatestTimestamp() async throws {
        var setup = try await StorageTransaction.begin(client)
        let existing = try setup.insert(into: "notes", ["text": "first"])
        guard case .committed(let written) = try await setup.commit() else { return XCTFail("setup did not commit") }

        var tx = try await StorageTransaction.beginAtFirstRead(client, now: now)
        try tx.insert(into: "notes", ["text": "second"])
        let first = try await tx.get(existing)
        XCTAssertEqual(first?["text"], "first")
        XCTAssertGreaterThanOrEqual(tx.beginTs ?? 0, written)
        guard case .committed = try await tx.commit() else { return XCTFail("the transaction did not commit") }
    }

    func testAFirstReadOnAChangedCatalogThrowsAndTheNextTransactionHasTheNewCatalog() async throws {
        let other = try await node.connect()
        _ = try await other.createTable("late")
        await other.close()

        var stale = try await StorageTransaction.beginAtFirstRead(client, now: now)
        XCTAssertNil(stale.catalog.table(named: "late"))
        do {
            _ = try await stale.scan(table: "notes", index: IndexInfo.byID)
            XCTFail("a read on a stale catalog went through")
        } catch StorageTransactionError.catalogChanged {}

        let fresh = try await StorageTransaction.beginAtFirstRead(client, now: now)
        XCTAssertNotNil(fresh.catalog.table(named: "late"))
    }

    func testACommitWithoutABeginTimestampMayOnlyInsert() async throws {
        var setup = try await StorageTransaction.begin(client)
        let existing = try setup.insert(into: "notes", ["text": "keep"])
        guard case .committed = try await setup.commit() else { return XCTFail("setup did not commit") }
        let notes = try await client.catalog().table(named: "notes")!
        let byID = try await client.catalog().index(table: notes.number, name: IndexInfo.byID)!

        let delete = CommitRequest(beginTs: nil, readSet: ReadSet(), writes: [DocumentWrite(id: existing, value: nil)])
        var read = ReadSet()
        read.add(.point(IndexInfo.byIDKey(existing)), index: byID.id)
        let fresh = DocumentID.generate(tableNumber: notes.number, nowMillis: Double(now) / 1e6)
        let insertAfterRead = CommitRequest(beginTs: nil, readSet: read, writes: [
            DocumentWrite(id: fresh, value: ["_id": .string(fresh.description), "_creationTime": 1.0], isInsert: true),
        ])
        for request in [delete, insertAfterRead] {
            do {
                _ = try await client.commit(request)
                XCTFail("a commit without a begin timestamp that reads or overwrites went through")
            } catch let error as StorageError {
                XCTAssertEqual(error.code, .badRequest)
            }
        }
        var check = try await StorageTransaction.begin(client)
        let kept = try await check.get(existing), inserted = try await check.get(fresh)
        XCTAssertEqual(kept?["text"], "keep")
        XCTAssertNil(inserted)
    }
}
