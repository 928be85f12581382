import BenchSupport
import Foundation

/// `fanout`: one writer, many subscribers of one query. Each round the writer changes the document
/// the query reads; a sample is the time from sending that mutation until one subscriber has the
/// Transition carrying the new value (commit included). Also: deliveries per second and the
/// coordinator's memory per 1,000 subscriptions (when the harness started the cluster).
///
/// Every count runs twice: against the deployment, and against a bare SwiftNIO WebSocket server
/// (`BareFanoutServer`) that sends the same shape of Transition to the same sockets of this harness.
/// Absolute times move with the machine; the ratio to that floor, measured in the same run, does not.
struct FanoutWorkload {
    var subscriberCounts = [100, 1_000, 5_000]
    var rounds = 20
    static let key = 1_000_000

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "fanout", description: "one writer (bench:setDoc), N sockets subscribed to bench:doc of that document")
        _ = try await deployment.call("mutation", "bench:seedDocs", args: #"{"first":\#(Self.key),"count":1}"#)
        let bare = try await BareFanoutServer()
        defer { Task { await bare.stop() } }
        for subscribers in subscriberCounts {
            let (run, problems) = try await fanOut(url: deployment.url, cluster: deployment.cluster, subscribers: subscribers, label: "\(subscribers) subscribers")
            result.runs.append(run)
            result.problems += problems
            let (floor, floorProblems) = try await fanOut(url: bare.url, cluster: nil, subscribers: subscribers,
                                                          label: "\(subscribers) subscribers, \(Self.bareLabel)")
            result.runs.append(floor)
            result.problems += floorProblems
        }
        return result
    }

    static let bareLabel = "bare SwiftNIO server"

    private func fanOut(url: String, cluster: LocalCluster?, subscribers: Int, label: String) async throws -> (RunResult, [String]) {
        let memoryBefore = cluster?.residentBytes(role: "coordinator")
        // Arrival times per round, per subscriber.
        let arrivals = Locked<[[ContinuousClock.Instant]]>(Array(repeating: [], count: rounds))
        let ready = Locked<Int>(0)
        var connections: [SyncConnection] = []
        var listeners: [Task<Void, Never>] = []
        defer {
            for listener in listeners { listener.cancel() }
            for connection in connections { connection.close() }
        }
        // Sockets open in batches: thousands of simultaneous handshakes overflow the listen backlog.
        for batchStart in stride(from: 0, to: subscribers, by: 250) {
            for _ in batchStart..<min(subscribers, batchStart + 250) {
                let connection = SyncConnection(url: url)
                connections.append(connection)
                connection.send(SyncMessage.addQueries(version: 0, [(0, "bench:doc", #"{"key":\#(Self.key)}"#)]))
                listeners.append(Task { [rounds] in
                    var inbox = SyncInbox(connection)
                    // A socket that failed is settled too; it misses every round, which counts as errors.
                    guard await inbox.next(ofType: "Transition") != nil else { return ready.withLock { $0 += 1 } }
                    // From here on, rounds are read on the socket's event loop, where they arrive: no
                    // task wakes per delivery, and the arrival time is taken as the bytes come in.
                    let listener = RoundListener(markers: (0..<rounds).map { Array(#""\#(Self.marker(subscribers, $0))""#.utf8) }, arrivals: arrivals)
                    let listening = connection.consumeOnEventLoop({ listener.handle($0) }, then: { ready.withLock { $0 += 1 } })
                    if !listening { ready.withLock { $0 += 1 } }
                })
            }
            while ready.value < min(subscribers, batchStart + 250) { try await Task.sleep(for: .milliseconds(5)) }
        }
        let memoryAfter = cluster?.residentBytes(role: "coordinator")

        let writer = SyncConnection(url: url)
        defer { writer.close() }
        var writerInbox = SyncInbox(writer)
        let progress = ProgressLine(label, seconds: nil)
        defer { progress.finish() }
        var recorder = LatencyRecorder(start: .now)
        var allDelivered = LatencyRecorder(start: .now)
        var problems: [String] = []
        var busy = Duration.zero
        let started = ContinuousClock.now
        for round in 0..<rounds {
            let sent = ContinuousClock.now
            writer.send(SyncMessage.mutation(requestId: round, path: "bench:setDoc", args: #"{"key":\#(Self.key),"value":"\#(Self.marker(subscribers, round))"}"#))
            guard let response = await writerInbox.next(ofType: "MutationResponse") else {
                problems.append("fanout \(subscribers): the writer's socket closed in round \(round)")
                break
            }
            guard SyncMessage.mutationOutcome(response).success else {
                problems.append("fanout \(subscribers): the mutation of round \(round) failed: \(SyncMessage.mutationError(response))")
                continue
            }
            let deadline = sent + .seconds(30)
            while arrivals.withLock({ $0[round].count }) < subscribers, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            let times = arrivals.withLock { $0[round] }
            if times.count < subscribers {
                problems.append("fanout \(subscribers): round \(round) reached \(times.count) of \(subscribers) subscribers within 30 s")
            }
            for time in times { recorder.record(time - sent, endingAt: time) }
            if let last = times.max() {
                allDelivered.record(last - sent, endingAt: last)
                busy += last - sent
            }
            progress.done(times.count)
        }
        let deliveries = Int(recorder.total.totalCount)
        var run = RunResult(label: label, operations: deliveries, errors: rounds * subscribers - deliveries,
                            seconds: (ContinuousClock.now - started).seconds, recorder: recorder)
        run.figures.append(Figure(name: "deliveries/s while delivering", value: busy > .zero ? Double(deliveries) / busy.seconds : 0, unit: "/s"))
        run.figures.append(Figure(name: "every subscriber p50", value: Double(allDelivered.total.valueAtPercentile(50)), unit: "µs"))
        run.figures.append(Figure(name: "every subscriber p99", value: Double(allDelivered.total.valueAtPercentile(99)), unit: "µs"))
        if let memoryBefore, let memoryAfter {
            let perThousand = Double(memoryAfter - memoryBefore) / (Double(subscribers) / 1000)
            run.figures.append(Figure(name: "coordinator memory per 1,000 subscriptions", value: perThousand / 1_048_576, unit: "MiB"))
        }
        return (run, problems)
    }

    private static func marker(_ subscribers: Int, _ round: Int) -> String { "fanout-\(subscribers)-\(round)" }
}

/// One subscriber's arrivals: the time each round's value first reaches it. Confined to its socket's
/// event loop (hence unchecked Sendable), where `SyncConnection` hands it every message.
private final class RoundListener: @unchecked Sendable {
    private let markers: [[UInt8]]
    private let arrivals: Locked<[[ContinuousClock.Instant]]>
    private var round = 0

    init(markers: [[UInt8]], arrivals: Locked<[[ContinuousClock.Instant]]>) {
        self.markers = markers
        self.arrivals = arrivals
    }

    func handle(_ event: SyncSocketEvent) {
        guard case .message(let message) = event, round < markers.count else { return }
        // A subscriber that missed a round (it timed out) still counts the later ones.
        guard let seen = (round..<markers.count).first(where: { SyncMessage.contains(message, markers[$0]) }) else { return }
        let now = ContinuousClock.now
        arrivals.withLock { $0[seen].append(now) }
        round = seen + 1
    }
}
