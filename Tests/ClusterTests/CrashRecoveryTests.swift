import ConvergeTestSupport
import Protocol
import StorageClient
import XCTest

/// SIGKILL the storage process at random moments under concurrent commit load, restart it, and check
/// that every acknowledged commit is there, whole, and no transaction is there in part.
final class CrashRecoveryTests: XCTestCase {
    func testAcknowledgedCommitsSurviveRepeatedKills() async throws {
        let node = StorageProcess()
        defer { node.stop(); node.removeData() }
        try node.start()
        let setup = try await node.connect()
        _ = try await setup.createTable("log")
        _ = try await setup.createIndex(table: "log", name: "by_batch", fields: ["batch"])
        await setup.close()

        let acknowledged = Locked<Set<String>>([])
        var rng = SplitMix64(seed: 42)
        let cycles = 10, writers = 4
        var totalAcknowledged = 0
        for cycle in 0..<cycles {
            if cycle > 0 { try node.start() }
            let endpoint: Endpoint = node.endpoint
            let load = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<writers {
                        group.addTask {
                            guard let client = try? await StorageProcess.connect(to: endpoint) else { return }
                            let catalog = try await client.catalog()
                            for i in 0... {
                                let batch = "c\(cycle)-w\(worker)-\(i)"
                                guard var tx = try? await StorageTransaction.begin(client, catalog: catalog) else { return }
                                for part in 0..<3 { try tx.insert(into: "log", ["batch": .string(batch), "part": .int64(Int64(part))]) }
                                guard case .committed? = try? await tx.commit() else { return }
                                acknowledged.withLock { _ = $0.insert(batch) }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...400, using: &rng)))
            node.kill()
            _ = await load.result

            try node.start()
            let client = try await node.connect()
            let ts = try await client.latestTimestamp()
            let catalog = try await client.catalog()
            let index = try XCTUnwrap(catalog.index(table: try XCTUnwrap(catalog.table(named: "log")).number, name: "by_batch"))
            var parts: [String: Int] = [:]
            var cursor: [UInt8]? = nil
            repeat {
                let page = try await client.scan(ScanRequest(ts: ts, index: index.id, interval: .all, order: .ascending, limit: 5000, cursor: cursor))
                for entry in page.entries {
                    guard case .string(let batch)? = entry.document.value["batch"] else { continue }
                    parts[batch, default: 0] += 1
                }
                cursor = page.cursor
            } while cursor != nil
            await client.close()
            node.kill()

            let acked = acknowledged.value
            let missing = acked.filter { parts[$0] == nil }
            XCTAssertTrue(missing.isEmpty, "cycle \(cycle): acknowledged batches lost: \(missing.sorted().prefix(5))")
            let partial = parts.filter { $0.value != 3 }
            XCTAssertTrue(partial.isEmpty, "cycle \(cycle): partial transactions: \(partial.prefix(5))")
            XCTAssertGreaterThan(acked.count, totalAcknowledged, "cycle \(cycle) acknowledged no commit before the kill")
            totalAcknowledged = acked.count
        }
        XCTAssertGreaterThan(totalAcknowledged, cycles * writers, "the load should have committed work in each cycle")
    }
}
