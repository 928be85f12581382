import Protocol
import StorageClient
import XCTest

final class StorageNodeProcessTests: XCTestCase {
    func testCommittedDocumentIsReadableAfterRestart() async throws {
        let node = StorageProcess()
        defer { node.removeData() }
        try node.start()
        var client = try await node.connect()
        _ = try await client.createTable("notes")
        var tx = try await StorageTransaction.begin(client)
        let id = try tx.insert(into: "notes", ["text": "hello"])
        guard case .committed(let ts) = try await tx.commit() else { return XCTFail("commit did not succeed") }
        await client.close()
        node.kill()

        try node.start()
        client = try await node.connect()
        let latest = try await client.latestTimestamp()
        XCTAssertGreaterThanOrEqual(latest, ts)
        let docs = try await client.get([id], at: latest)
        XCTAssertEqual(docs.first??.value["text"], "hello")
        await client.close()
    }
}
