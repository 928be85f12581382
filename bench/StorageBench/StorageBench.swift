import Foundation
import BenchSupport
import Histogram
import Protocol
import StorageClient

/// Storage node benchmark: commit throughput and latency of single-document insert transactions at
/// several client counts, the same inserts done directly on SQLite with the same durability, and
/// index range read latency. Starts its own `converge storage` process on a temporary directory.
///
///     swift build -c release && .build/release/converge-storage-bench [--seconds 5]
@main
struct StorageBench {
    static let secret: [UInt8] = Array(repeating: 42, count: 32)

    static func main() async throws {
        let arguments = CommandLine.arguments
        let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 5
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        print("Converge storage benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds) s per run, SQLite synchronous=FULL)")
        let node = try NodeProcess.start(dataDir: directory.appendingPathComponent("node"), secret: secret)

        print("\n## Commit: one insert per transaction, over TCP loopback")
        print(Row.header)
        var nodeRates: [Int: Double] = [:]
        for clients in [1, 4, 16, 64] {
            let row = try await commitRun(endpoint: node.endpoint, clients: clients, seconds: seconds)
            nodeRates[clients] = row.rate
            print(row.line("\(clients) clients"))
        }

        print("\n## Direct SQLite, same rows (1 document + 2 index entries per insert), WAL, synchronous=FULL")
        print(Row.header)
        let single = try DirectSQLite.run(path: directory.appendingPathComponent("direct1.sqlite3").path, batchSize: 1, seconds: seconds)
        print(single.line("1 row per txn"))
        let batched = try DirectSQLite.run(path: directory.appendingPathComponent("direct100.sqlite3").path, batchSize: 100, seconds: seconds)
        print(batched.line("100 rows per txn"))

        print("\n## Ratios (node commits/s ÷ direct SQLite rows/s)")
        for clients in [1, 4, 16, 64] {
            let rate = nodeRates[clients]!
            print(String(format: "%2d clients: %.2f× one-row-per-txn SQLite, %.3f× 100-row-batch SQLite",
                         clients, rate / single.rate, rate / batched.rate))
        }

        node.stop()
        print("\n## Disk use under updates with a 2-second retention window (8 clients rewriting 100 documents)")
        try await retentionRun(directory: directory.appendingPathComponent("retention"), seconds: seconds * 2)

        print("\n## Index range read latency (one client, prefix of the `by_group` index matching N documents)")
        let readNode = try NodeProcess.start(dataDir: directory.appendingPathComponent("reads"), secret: secret)
        defer { readNode.stop() }
        try await readRuns(endpoint: readNode.endpoint, seconds: min(seconds, 3))
    }

    /// Rewrites the same documents over and over while retention runs every half second, printing the
    /// size of the database and its WAL: with retention working it levels off instead of growing.
    static func retentionRun(directory: URL, seconds: Double) async throws {
        let node = try NodeProcess.start(dataDir: directory, secret: secret,
                                         extraArguments: ["--retention-hours", "\(2.0 / 3600)", "--retention-interval", "0.5"])
        defer { node.stop() }
        let setup = try await StorageClient.connect(to: node.endpoint, instanceSecret: secret)
        let table = try await setup.createTable("counters")
        let ts = try await setup.latestTimestamp()
        var ids: [DocumentID] = []
        var writes: [DocumentWrite] = []
        for i in 0..<100 {
            let created = Double(ts) / 1e6 + Double(i) / 1e3
            let id = DocumentID.generate(tableNumber: table.number, nowMillis: created)
            ids.append(id)
            writes.append(DocumentWrite(id: id, value: .object(["_id": .string(id.description), "_creationTime": .float64(created),
                                                                  "n": .int64(0), "padding": .string(String(repeating: "x", count: 200))])))
        }
        _ = try await setup.commit(CommitRequest(beginTs: ts, readSet: ReadSet(), writes: writes))
        await setup.close()
        let files = ["converge.sqlite3", "converge.sqlite3-wal"].map { directory.appendingPathComponent($0).path }
        func diskBytes() -> Int {
            files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let endpoint = node.endpoint, documents = ids
        let updates = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let client = try await StorageClient.connect(to: endpoint, instanceSecret: secret)
                        var count = 0
                        while ContinuousClock.now < deadline {
                            let id = documents[(worker * 13 + count) % documents.count]
                            let begin = try await client.latestTimestamp()
                            guard var doc = try await client.get([id], at: begin)[0]?.value, case .object(var fields) = doc else { continue }
                            fields["n"] = .int64(Int64(count))
                            doc = .object(fields)
                            if case .committed = try await client.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: doc)])) {
                                count += 1
                            }
                        }
                        await client.close()
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        print("| elapsed s | database + WAL bytes |\n|---:|---:|")
        let started = ContinuousClock.now
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(seconds / 5))
            print(String(format: "| %.1f | %d |", (ContinuousClock.now - started).seconds, diskBytes()))
        }
        let total = try await updates.value
        print("\(total) updates of 100 documents (\(total / 100) versions each on average)")
    }

    static func commitRun(endpoint: Endpoint, clients: Int, seconds: Double) async throws -> Row {
        let setup = try await StorageClient.connect(to: endpoint, instanceSecret: secret)
        let table = try await setup.createTable("bench_\(clients)")
        await setup.close()
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let histograms = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    let client = try await StorageClient.connect(to: endpoint, instanceSecret: secret)
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
                    while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        let ts = try await client.latestTimestamp()
                        let created = Double(ts) / 1e6
                        let id = DocumentID.generate(tableNumber: table.number, nowMillis: created)
                        let doc = Value.object(["_id": .string(id.description), "_creationTime": .float64(created),
                                                "body": "benchmark payload", "n": .int64(1)])
                        guard case .committed = try await client.commit(CommitRequest(beginTs: ts, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: doc)])) else {
                            fatalError("insert conflicted")
                        }
                        _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
                    }
                    await client.close()
                    return histogram
                }
            }
            return try await group.reduce(into: [Histogram<UInt64>]()) { $0.append($1) }
        }
        var total = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        for h in histograms { total.add(h) }
        return Row(count: Int(total.totalCount), elapsed: (ContinuousClock.now - started).seconds, histogram: total)
    }

    static func readRuns(endpoint: Endpoint, seconds: Double) async throws {
        let client = try await StorageClient.connect(to: endpoint, instanceSecret: secret)
        defer { Task { await client.close() } }
        let table = try await client.createTable("reads")
        let byGroup = try await client.createIndex(table: "reads", name: "by_group", fields: ["group"])
        for size in [1, 10, 100] {
            let ts = try await client.latestTimestamp()
            var writes: [DocumentWrite] = []
            for i in 0..<size {
                let created = Double(ts) / 1e6 + Double(i) / 1000
                let id = DocumentID.generate(tableNumber: table.number, nowMillis: created)
                writes.append(DocumentWrite(id: id, value: .object(["_id": .string(id.description), "_creationTime": .float64(created),
                                                                      "group": .int64(Int64(size)), "body": "a document of modest size"])))
            }
            _ = try await client.commit(CommitRequest(beginTs: ts, readSet: ReadSet(), writes: writes))
        }
        print(Row.header)
        for size in [1, 10, 100] {
            let ts = try await client.latestTimestamp()
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
            let started = ContinuousClock.now
            let deadline = started + .seconds(seconds)
            while ContinuousClock.now < deadline {
                let begin = ContinuousClock.now
                let page = try await client.scan(ScanRequest(ts: ts, index: byGroup.id, interval: .prefix([.int64(Int64(size))]),
                                                             order: .ascending, limit: 1000))
                precondition(page.entries.count == size)
                _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
            }
            print(Row(count: Int(histogram.totalCount), elapsed: (ContinuousClock.now - started).seconds, histogram: histogram)
                .line("\(size) documents"))
        }
    }
}
