import BenchSupport
import Foundation

/// `disjoint`: many subscriptions, each to its own document; one writer changes random ones. Checks
/// that a write re-executes exactly the one query that read the document and that only its socket
/// hears of it, and compares commit latency with the subscriptions against commit latency without.
struct DisjointWorkload {
    var subscriptions = 20_000
    var queriesPerSocket = 100
    var seconds: Double

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "disjoint", description: "\(subscriptions) subscriptions to bench:doc of distinct documents; one writer sets random ones")
        try await DocQueries.seed(deployment, first: 0, count: subscriptions)

        result.runs.append(await commits(deployment, label: "commit, no subscriptions", sockets: []))

        let sockets = (subscriptions + queriesPerSocket - 1) / queriesPerSocket
        let opened = await ClosedLoop.open(sockets, url: deployment.url)
        defer { for connection in opened { connection.close() } }
        let (perSocket, total) = (queriesPerSocket, subscriptions)
        // A socket that closed early misses its notifications, which the checks below count.
        _ = await DocQueries.subscribe(opened) { Array(($0 * perSocket)..<min(total, ($0 + 1) * perSocket)) }
        let executionsBefore = try await deployment.metric("converge_query_cache_executions_total")
        var withSubscriptions = await commits(deployment, label: "commit, \(subscriptions) subscriptions", sockets: opened)
        let executions = try await deployment.metric("converge_query_cache_executions_total") - executionsBefore
        let writes = withSubscriptions.operations
        withSubscriptions.figures.append(Figure(name: "queries re-executed per write", value: writes > 0 ? executions / Double(writes) : 0, unit: ""))
        if executions != Double(writes) {
            result.problems.append("\(writes) writes re-executed \(Int(executions)) queries; each touches exactly one subscribed document")
        }
        if let transitions = withSubscriptions.figure("subscriber Transitions"), transitions != Double(writes) {
            result.problems.append("\(writes) writes sent \(Int(transitions)) Transitions to subscribers; only the socket that reads the document should hear of it")
        }
        result.runs.append(withSubscriptions)
        return result
    }

    /// One writer setting random documents for `seconds`. With subscriber sockets, each write is also
    /// timed until the socket subscribed to that document has the new value (the notify latency).
    private func commits(_ deployment: Deployment, label: String, sockets: [SyncConnection]) async -> RunResult {
        // Writes whose subscriber has not heard yet, per socket (two may be on their way to one socket).
        let pending = Locked<[Int: [(marker: [UInt8], sent: ContinuousClock.Instant)]]>([:])
        let notified = Locked(LatencyRecorder(start: .now))
        let transitions = Locked<Int>(0)
        let listeners = sockets.enumerated().map { index, connection in
            Task {
                var inbox = SyncInbox(connection)
                while let message = await inbox.next() {
                    guard SyncMessage.hasType(message, "Transition") else { continue }
                    transitions.withLock { $0 += 1 }
                    let now = ContinuousClock.now
                    let heard = pending.withLock { pending in
                        let waiting = pending[index] ?? []
                        let (found, rest) = (waiting.filter { SyncMessage.contains(message, $0.marker) }, waiting.filter { !SyncMessage.contains(message, $0.marker) })
                        pending[index] = rest.isEmpty ? nil : rest
                        return found.map(\.sent)
                    }
                    notified.withLock { recorder in for sent in heard { recorder.record(now - sent, endingAt: now) } }
                }
            }
        }
        defer { for listener in listeners { listener.cancel() } }
        let subscriptions = subscriptions, perSocket = queriesPerSocket
        var run = await ClosedLoop.run(label, url: deployment.url, clients: 1, seconds: seconds) { _, call, connection, inbox in
            let key = Int.random(in: 0..<subscriptions)
            let marker = "w\(call)-\(UUID().uuidString.prefix(8))"
            if !sockets.isEmpty { pending.withLock { $0[key / perSocket, default: []].append((Array(#""\#(marker)""#.utf8), .now)) } }
            connection.send(SyncMessage.mutation(requestId: call, path: "bench:setDoc", args: #"{"key":\#(key),"value":"\#(marker)"}"#))
            try await inbox.mutationSucceeded()
        }
        guard !sockets.isEmpty else { return run }
        // The last write's notification may still be on its way.
        for _ in 0..<200 where !pending.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(5)) }
        let notify = notified.withLock { $0.total }
        run.figures.append(Figure(name: "notify p50", value: Double(notify.valueAtPercentile(50)), unit: "µs"))
        run.figures.append(Figure(name: "notify p99", value: Double(notify.valueAtPercentile(99)), unit: "µs"))
        run.figures.append(Figure(name: "notifications missed", value: Double(pending.withLock { $0.values.reduce(0) { $0 + $1.count } }), unit: ""))
        run.figures.append(Figure(name: "subscriber Transitions", value: Double(transitions.value), unit: ""))
        return run
    }
}
