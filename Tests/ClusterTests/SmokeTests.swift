import Protocol
import StorageClient
import Foundation
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

    func testClientsConnectOverUnixSocketAndTCPToTheSameNode() async throws {
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("converge-\(UUID().uuidString.prefix(8)).sock").path
        let node = StorageProcess(extraArguments: ["--listen", "unix://\(socketPath)"])
        defer { node.stop(); node.removeData() }
        try node.start()
        XCTAssertEqual(node.endpoints.last, .unix(path: socketPath))
        let overUnix = try await StorageProcess.connect(to: .unix(path: socketPath))
        let overTCP = try await node.connect()
        _ = try await overUnix.createTable("notes")
        var tx = try await StorageTransaction.begin(overUnix)
        let id = try tx.insert(into: "notes", ["via": "unix"])
        guard case .committed(let ts) = try await tx.commit() else { return XCTFail("commit over the Unix socket failed") }
        let seen = try await overTCP.get([id], at: ts)
        XCTAssertEqual(seen.first??.value["via"], "unix")
        await overUnix.close()
        await overTCP.close()
    }
}
