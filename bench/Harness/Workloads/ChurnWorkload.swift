import BenchSupport
import Foundation

/// `churn`: rounds of sockets that open, subscribe to a query, get its first result and close, of
/// 1,000 and 5,000 sockets in turn. After each round, once the coordinator counts no sync session and
/// has had two seconds to give memory back (it trims its allocator after crowds leave), its resident
/// memory is sampled: a deployment whose clients come and go must not keep growing.
struct ChurnWorkload {
    var rounds = 10
    var sizes = [1_000, 5_000]

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "churn", description: "\(rounds) rounds of \(sizes.map(String.init).joined(separator: " and ")) sockets "
            + "that subscribe to bench:doc, get a result and close")
        let started = ContinuousClock.now
        var memory: [Double] = []
        var recorders: [Int: LatencyRecorder] = [:]
        var failures: [Int: Int] = [:]
        for round in 0..<rounds {
            let size = sizes[round % sizes.count]
            let (recorder, failed) = await churn(size, url: deployment.url, start: started)
            recorders[size, default: LatencyRecorder(start: started)].merge(recorder)
            failures[size, default: 0] += failed
            // Closed sockets are let go of asynchronously: wait for the gauge to say they are gone.
            let deadline = ContinuousClock.now + .seconds(30)
            while (try? await deployment.metric("converge_sync_sessions")) != 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .seconds(2))
            let sessions = (try? await deployment.metric("converge_sync_sessions")) ?? -1
            let liveQueries = (try? await deployment.metric("converge_live_queries")) ?? -1
            var line = String(format: "  … churn round %d/%d: %d sockets; sessions %.0f, live queries %.0f", round + 1, rounds, size, sessions, liveQueries)
            if let cluster = deployment.cluster {
                let mebibytes = Double(cluster.residentBytes(role: "coordinator")) / 1_048_576
                memory.append(mebibytes)
                line += String(format: ", coordinator %.1f MiB", mebibytes)
                result.samples.append(ResourceSample(second: (ContinuousClock.now - started).seconds, cluster: cluster))
            }
            say(line)
            if sessions != 0 { result.problems.append("round \(round + 1): \(Int(sessions)) sync sessions still counted 30 s after every socket closed") }
        }
        for size in sizes {
            guard let recorder = recorders[size] else { continue }
            result.runs.append(RunResult(label: "\(size) sockets: open, subscribe, first result", operations: Int(recorder.total.totalCount),
                                         errors: failures[size] ?? 0, seconds: (ContinuousClock.now - started).seconds, recorder: recorder))
        }
        for (index, mebibytes) in memory.enumerated() {
            result.figures.append(Figure(name: "coordinator memory after round \(index + 1)", value: mebibytes, unit: "MiB"))
        }
        if memory.count >= 2, let last = memory.last {
            result.figures.append(Figure(name: "coordinator memory, last round / second round", value: last / max(1, memory[1]), unit: "×"))
        }
        return result
    }

    /// Opens `count` sockets in batches (thousands of handshakes at once overflow the listen backlog),
    /// each subscribing and waiting for its first result, then closes them all. Returns the time each
    /// took from opening to its result, and how many never got one.
    private func churn(_ count: Int, url: String, start: ContinuousClock.Instant) async -> (LatencyRecorder, Int) {
        var recorder = LatencyRecorder(start: start)
        var failed = 0
        var connections: [SyncConnection] = []
        for batchStart in stride(from: 0, to: count, by: 250) {
            let batch = (batchStart..<min(count, batchStart + 250)).map { index in
                let connection = SyncConnection(url: url)
                connection.send(SyncMessage.addQueries(version: 0, [(0, "bench:doc", #"{"key":\#(index % 100)}"#)]))
                return connection
            }
            connections += batch
            let opened = ContinuousClock.now
            let answered = await withTaskGroup(of: Duration?.self) { group in
                for connection in batch {
                    group.addTask {
                        var inbox = SyncInbox(connection)
                        return await inbox.next(ofType: "Transition") == nil ? nil : ContinuousClock.now - opened
                    }
                }
                return await group.reduce(into: [Duration?]()) { $0.append($1) }
            }
            for latency in answered {
                if let latency { recorder.record(latency) } else { failed += 1 }
            }
        }
        for connection in connections { connection.close() }
        return (recorder, failed)
    }
}
