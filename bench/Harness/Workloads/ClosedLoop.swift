import BenchSupport
import Foundation

/// Closed-loop load: `clients` sync sockets, each sending its next request when the last one is
/// done. Latency is per request; there is no schedule to fall behind, so no omission to correct.
enum ClosedLoop {
    /// One request and its wait; throws `BenchFailure` saying why if it failed.
    typealias Step = @Sendable (_ client: Int, _ call: Int, SyncConnection, inout SyncInbox) async throws -> Void

    /// Opens every socket first (an empty query set change each, answered once the session is up),
    /// runs `step` on all of them for `warmup` seconds unmeasured, then measures `seconds` of it.
    /// The warm-up is for JavaScriptCore: each pooled context compiles its hot code for itself, after
    /// thousands of calls, and a run that starts cold spends a good part of the runners' CPU on that.
    static func run(_ label: String, url: String, clients: Int, seconds: Double, warmup: Double = 0, step: @escaping Step) async -> RunResult {
        let connections = await open(clients, url: url)
        defer { for connection in connections { connection.close() } }
        if warmup > 0 { say("  … \(label): \(Int(warmup)) s of warm-up, not measured") }
        let started = ContinuousClock.now + .seconds(warmup)
        let deadline = started + .seconds(seconds)
        let progress = ProgressLine(label, seconds: seconds, from: started)
        defer { progress.finish() }
        let recorders = await withTaskGroup(of: LatencyRecorder.self) { group in
            for (client, connection) in connections.enumerated() {
                group.addTask {
                    var inbox = SyncInbox(connection)
                    var recorder = LatencyRecorder(start: started)
                    var call = 0
                    while ContinuousClock.now < started {
                        try? await step(client, call, connection, &inbox)
                        call += 1
                    }
                    while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        do {
                            try await step(client, call, connection, &inbox)
                            let end = ContinuousClock.now
                            recorder.record(end - begin, endingAt: end)
                            progress.done()
                        } catch {
                            progress.failure("\(error)")
                        }
                        call += 1
                    }
                    return recorder
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let merged = LatencyRecorder.merged(recorders, start: started)
        return RunResult(label: label, operations: progress.completedCount, errors: progress.failedCount, errorSamples: progress.failureSamples,
                         seconds: (ContinuousClock.now - started).seconds, recorder: merged)
    }

    /// `run` for a step that is one mutation, driven from each socket's event loop (`MutationLoop`)
    /// rather than by a task per client: the same requests and waits, at a fraction of the harness's CPU.
    static func runMutations(_ label: String, url: String, clients: Int, seconds: Double, warmup: Double = 0,
                             mutation: @escaping @Sendable (_ client: Int, _ call: Int) -> String) async -> RunResult {
        let connections = await open(clients, url: url)
        defer { for connection in connections { connection.close() } }
        if warmup > 0 { say("  … \(label): \(Int(warmup)) s of warm-up, not measured") }
        let started = ContinuousClock.now + .seconds(warmup)
        let deadline = started + .seconds(seconds)
        let progress = ProgressLine(label, seconds: seconds, from: started)
        defer { progress.finish() }
        let recorders = await withTaskGroup(of: LatencyRecorder.self) { group in
            for (client, connection) in connections.enumerated() {
                group.addTask {
                    await MutationLoop.run(on: connection, mutation: { mutation(client, $0) }, measuredFrom: started, deadline: deadline, progress: progress)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        return RunResult(label: label, operations: progress.completedCount, errors: progress.failedCount, errorSamples: progress.failureSamples,
                         seconds: (ContinuousClock.now - started).seconds, recorder: LatencyRecorder.merged(recorders, start: started))
    }

    /// `count` sockets whose sessions are up. Their query sets are at version 1.
    static func open(_ count: Int, url: String) async -> [SyncConnection] {
        await withTaskGroup(of: SyncConnection.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let connection = SyncConnection(url: url)
                    var inbox = SyncInbox(connection)
                    connection.send(SyncMessage.addQueries(version: 0, []))
                    _ = await inbox.next(ofType: "Transition")
                    return connection
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }
}
