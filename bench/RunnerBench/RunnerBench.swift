import BenchSupport
import Foundation
import FunctionRunner
import Histogram
import Protocol
import StorageClient

/// Function runner benchmark: invocations per second of an empty query, a query reading 10 documents
/// by index, and a single-insert mutation, on one worker thread (one core's worth of JavaScript) and
/// on two; and the cost of a fresh JavaScript context against a pooled one. Uses a real storage node.
///
///     swift build -c release && .build/release/converge-runner-bench [--seconds 5]
@main
struct RunnerBench {
    static let secret: [UInt8] = Array(repeating: 42, count: 32)

    static func main() async throws {
        let arguments = CommandLine.arguments
        let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 5
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-runner-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let node = try NodeProcess.start(dataDir: directory, secret: secret)
        defer { node.stop() }
        let storage = try await StorageClient.connect(to: node.endpoint, instanceSecret: secret)
        _ = try await storage.createTable("items")
        _ = try await storage.createIndex(table: "items", name: "by_group", fields: ["group", "_creationTime"])
        var seed = try await StorageTransaction.begin(storage)
        for n in 0..<10 { try seed.insert(into: "items", ["group": "g", "n": .float64(Double(n))]) }
        _ = try await seed.commit()

        let app = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("app/convex")
        let bundle = try AppBundler.bundle(convexDirectory: app)
        print("Converge function runner benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds) s per run, bundle \(bundle.utf8.count) bytes)")

        let seal = CursorSeal(instanceSecret: [UInt8](repeating: 1, count: 32))

        print("\n## Invocations per second")
        print(Row.header)
        for workers in [1, 2] {
            let isolates = (0..<workers).map { FunctionIsolate(bundle: bundle, name: "bench-\($0)") }
            let executors = isolates.map { FunctionExecutor(isolate: $0, storage: storage, seal: seal) }
            for (name, kind) in [("bench:empty", FunctionKind.query), ("bench:tenByIndex", .query), ("bench:insert", .mutation)] {
                let row = try await measure(executors: executors, concurrency: workers * 4, seconds: seconds) { executor in
                    let request = FunctionRequest(module: "bench.js", function: String(name.split(separator: ":")[1]), kind: kind, args: .object([:]))
                    let outcome = kind == .query ? try await executor.runQuery(request).outcome : try await executor.runMutation(request).outcome
                    guard case .success = outcome.result else { throw BenchError("\(name) failed: \(outcome.result)") }
                }
                print(row.line("\(name), \(workers) worker\(workers == 1 ? "" : "s")"))
            }
        }

        print("\n## One mutation inserting 3,000 documents (one worker, one caller)")
        print(Row.header)
        let bulk = FunctionExecutor(isolate: FunctionIsolate(bundle: bundle, name: "bench-bulk"), storage: storage, seal: seal)
        let bulkRow = try await measure(executors: [bulk], concurrency: 1, seconds: min(seconds, 4)) { executor in
            let request = FunctionRequest(module: "bench.js", function: "insertMany", kind: .mutation, args: .object(["count": .float64(3000)]))
            guard case .success = try await executor.runMutation(request).outcome.result else { throw BenchError("bench:insertMany failed") }
        }
        print(bulkRow.line("bench:insertMany 3,000"))

        print("\n## Fresh context per call against a pooled one (empty query, one worker)")
        print(Row.header)
        for (label, poolSize) in [("pooled", 4), ("fresh", 0)] {
            let executor = FunctionExecutor(isolate: FunctionIsolate(bundle: bundle, name: "bench-\(label)", poolSize: poolSize), storage: storage, seal: seal)
            let row = try await measure(executors: [executor], concurrency: 1, seconds: min(seconds, 3)) { executor in
                _ = try await executor.runQuery(FunctionRequest(module: "bench.js", function: "empty", kind: .query, args: .object([:])))
            }
            print(row.line("\(label) context"))
        }
        await storage.close()
    }

    /// Runs `body` from `concurrency` tasks spread over the executors for `seconds`.
    static func measure(executors: [FunctionExecutor], concurrency: Int, seconds: Double,
                        _ body: @escaping @Sendable (FunctionExecutor) async throws -> Void) async throws -> Row {
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let histograms = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
            for task in 0..<concurrency {
                let executor = executors[task % executors.count]
                group.addTask {
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
                    while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        try await body(executor)
                        _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
                    }
                    return histogram
                }
            }
            return try await group.reduce(into: [Histogram<UInt64>]()) { $0.append($1) }
        }
        var total = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        for h in histograms { total.add(h) }
        return Row(count: Int(total.totalCount), elapsed: (ContinuousClock.now - started).seconds, histogram: total)
    }
}
