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
        await measure(label, url: url, clients: clients, seconds: seconds, warmup: warmup) { client, connection, window in
            var inbox = SyncInbox(connection)
            var recorder = LatencyRecorder(start: window.start)
            var call = 0
            while ContinuousClock.now < window.start {
                try? await step(client, call, connection, &inbox)
                call += 1
            }
            while ContinuousClock.now < window.end {
                let begin = ContinuousClock.now
                do {
                    try await step(client, call, connection, &inbox)
                    let end = ContinuousClock.now
                    recorder.record(end - begin, endingAt: end)
                    window.progress.done()
                } catch {
                    window.progress.failure("\(error)")
                }
                call += 1
            }
            return recorder
        }
    }

    /// `run` for a step that is one mutation, driven from each socket's event loop (`MutationLoop`)
    /// rather than by a task per client: the same requests and waits, at a fraction of the harness's CPU.
    static func runMutations(_ label: String, url: String, clients: Int, seconds: Double, warmup: Double = 0,
                             mutation: @escaping @Sendable (_ client: Int, _ call: Int) -> String) async -> RunResult {
        let connections = await open(clients, url: url)
        defer { for connection in connections { connection.close() } }
        return await runMutations(label, on: connections, seconds: seconds, warmup: warmup, mutation: mutation)
    }

    /// `runMutations` on sockets the caller opened (and closes), e.g. with live queries of their own.
    static func runMutations(_ label: String, on connections: [SyncConnection], seconds: Double, warmup: Double = 0,
                             mutation: @escaping @Sendable (_ client: Int, _ call: Int) -> String) async -> RunResult {
        await measure(label, on: connections, seconds: seconds, warmup: warmup) { client, connection, window in
            await MutationLoop.run(on: connection, mutation: { mutation(client, $0) }, measuredFrom: window.start,
                                   deadline: window.end, progress: window.progress)
        }
    }

    /// When a run measures (after its warm-up) and where it counts what it did.
    struct Window: Sendable {
        let start: ContinuousClock.Instant
        let end: ContinuousClock.Instant
        let progress: ProgressLine
    }

    /// Opens the sockets, then runs `client` for each at once and merges what they recorded.
    private static func measure(_ label: String, url: String, clients: Int, seconds: Double, warmup: Double,
                                client: @escaping @Sendable (Int, SyncConnection, Window) async -> LatencyRecorder) async -> RunResult {
        let connections = await open(clients, url: url)
        defer { for connection in connections { connection.close() } }
        return await measure(label, on: connections, seconds: seconds, warmup: warmup, client: client)
    }

    /// Runs `client` for each socket at once and merges what they recorded.
    private static func measure(_ label: String, on connections: [SyncConnection], seconds: Double, warmup: Double,
                                client: @escaping @Sendable (Int, SyncConnection, Window) async -> LatencyRecorder) async -> RunResult {
        if warmup > 0 { say("  … \(label): \(Int(warmup)) s of warm-up, not measured") }
        let start = ContinuousClock.now + .seconds(warmup)
        let window = Window(start: start, end: start + .seconds(seconds), progress: ProgressLine(label, seconds: seconds, from: start))
        defer { window.progress.finish() }
        let recorders = await withTaskGroup(of: LatencyRecorder.self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask { await client(index, connection, window) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        return RunResult(label: label, operations: window.progress.completedCount, errors: window.progress.failedCount,
                         errorSamples: window.progress.failureSamples, seconds: (ContinuousClock.now - start).seconds,
                         recorder: LatencyRecorder.merged(recorders, start: start))
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
