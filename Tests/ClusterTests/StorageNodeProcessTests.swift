import ConvergeTestSupport
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

    /// A client reuses the catalog it fetched while the node reports no change to it, and fetches it
    /// again once another client has created a table.
    func testATransactionSeesATableAnotherClientCreatedAfterTheCatalogWasCached() async throws {
        let node = StorageProcess()
        defer { node.stop(); node.removeData() }
        try node.start()
        let reader = try await node.connect()
        let creator = try await node.connect()
        _ = try await creator.createTable("early")
        let first = try await StorageTransaction.begin(reader)
        XCTAssertNotNil(first.catalog.table(named: "early"))
        XCTAssertNil(first.catalog.table(named: "late"))
        _ = try await creator.createTable("late")
        _ = try await creator.createIndex(table: "late", name: "by_n", fields: ["n"])
        var second = try await StorageTransaction.begin(reader)
        XCTAssertNotNil(second.catalog.table(named: "late"))
        XCTAssertNoThrow(try second.index("late", "by_n"))
        _ = try second.insert(into: "late", ["n": 1.0])
        guard case .committed = try await second.commit() else { return XCTFail("the insert into the new table did not commit") }
        await reader.close()
        await creator.close()
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

    func testManyRequestsInFlightOnOneConnectionGetTheirOwnAnswers() async throws {
        let node = StorageProcess()
        defer { node.stop(); node.removeData() }
        try node.start()
        let client = try await node.connect()
        _ = try await client.createTable("notes")
        let catalog = try await client.catalog()
        let table = try XCTUnwrap(catalog.table(named: "notes"))
        let begin = try await client.latestTimestamp()
        // 300 inserts at once on one connection, each with its own marker.
        let inserted = try await withThrowingTaskGroup(of: (Int, DocumentID, Timestamp).self) { group in
            for i in 0..<300 {
                group.addTask {
                    let created = Double(begin) / 1e6 + Double(i) / 1e3
                    let id = DocumentID.generate(tableNumber: table.number, nowMillis: created)
                    let doc = Value.object(["_id": .string(id.description), "_creationTime": .float64(created), "i": .int64(Int64(i))])
                    guard case .committed(let ts) = try await client.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: doc)])) else {
                        throw TestFailure("insert \(i) conflicted")
                    }
                    return (i, id, ts)
                }
            }
            return try await group.reduce(into: [(Int, DocumentID, Timestamp)]()) { $0.append($1) }
        }
        XCTAssertEqual(Set(inserted.map(\.2)).count, 300, "each commit has its own timestamp")
        let latest = try await client.latestTimestamp()
        // 300 gets at once; each answer must be the document its request named.
        let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (i, id, _) in inserted {
                group.addTask {
                    let docs = try await client.get([id], at: latest)
                    return docs.first??.value["i"] != .int64(Int64(i))
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(mismatches, 0)
        await client.close()
    }
}
