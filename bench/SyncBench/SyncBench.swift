import BenchSupport
import Foundation
import Histogram
import Protocol

/// End-to-end benchmark over the sync WebSocket against `converge serve` with the example app:
/// mutation throughput and latency (until the Transition that follows the response, as the official
/// clients wait), query latency with and without the shared result cache, and how long a mutation
/// takes to reach 1, 100 and 1,000 subscribers.
///
///     swift build -c release && .build/release/converge-sync-bench [--seconds 5]
@main
struct SyncBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 5
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-sync-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let serve = try ServeProcess.start(data: data, app: root.appendingPathComponent("examples/chat/convex"))
        defer { serve.stop() }
        print("Converge end-to-end benchmark over the sync WebSocket (\(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds) s per run, converge serve with 2 db runners)")

        print("\n## Mutations: messages:post (one insert), until the Transition after the MutationResponse")
        print(Row.header)
        for clients in [1, 16, 64] {
            print(try await mutations(url: serve.url, clients: clients, seconds: seconds).line("\(clients) clients"))
        }

        print("\n## Query latency: Add messages:list, until its first result")
        print(Row.header)
        print(try await queries(url: serve.url, count: 200, writeBetween: false).line("cached (same snapshot)"))
        print(try await queries(url: serve.url, count: 200, writeBetween: true).line("uncached (a commit before each)"))

        print("\n## Fan-out: one mutation until every subscriber has its Transition")
        print(Row.header)
        for subscribers in [1, 100, 1000] {
            print(try await fanOut(url: serve.url, subscribers: subscribers, rounds: 5).line("\(subscribers) subscribers"))
        }
        serve.stop()

        // One worker thread per runner, so the second process is what adds a core's worth of JavaScript.
        print("\n## CPU-bound queries (bench:spin, ~2 ms of JavaScript, distinct arguments), 8 clients, db runner processes of 1 worker each")
        print(Row.header)
        var rates: [Int: Double] = [:]
        for runners in [1, 2] {
            let scaleData = data.appendingPathComponent("scale-\(runners)")
            let scaled = try ServeProcess.start(data: scaleData, app: root.appendingPathComponent("bench/SyncBench/app/convex"), runners: runners, workers: 1)
            let row = try await cpuBoundQueries(url: scaled.url, clients: 8, seconds: seconds)
            scaled.stop()
            rates[runners] = row.rate
            print(row.line("\(runners) db runner\(runners == 1 ? "" : "s")"))
        }
        print(String(format: "ratio 2 runners / 1 runner: %.2f", rates[2]! / rates[1]!))
    }

    /// Each client adds a query with arguments no one else used (so no shared result), waits for its
    /// first result, removes it, and goes again.
    static func cpuBoundQueries(url: String, clients: Int, seconds: Double) async throws -> Row {
        await closedLoop(url: url, clients: clients, seconds: seconds, timed: { client, call, connection, iterator in
            connection.send(#"{"type":"ModifyQuerySet","baseVersion":\#(2 * call),"newVersion":\#(2 * call + 1),"modifications":[{"type":"Add","queryId":\#(call),"udfPath":"bench:spin","args":[{"n":\#(client * 1_000_000 + call)}]}]}"#)
            while let message = await iterator.next(), message["type"] != "Transition" {}
        }, untimed: { _, call, connection, iterator in
            connection.send(#"{"type":"ModifyQuerySet","baseVersion":\#(2 * call + 1),"newVersion":\#(2 * call + 2),"modifications":[{"type":"Remove","queryId":\#(call)}]}"#)
            while let message = await iterator.next(), message["type"] != "Transition" {}
        })
    }

    static func mutations(url: String, clients: Int, seconds: Double) async throws -> Row {
        await closedLoop(url: url, clients: clients, seconds: seconds, timed: { _, call, connection, iterator in
            connection.send(#"{"type":"Mutation","requestId":\#(call),"udfPath":"messages:post","args":[{"body":"bench"}]}"#)
            var responded = false
            while let message = await iterator.next() {
                if message["type"] == "MutationResponse" { responded = true }
                if responded && message["type"] == "Transition" { break }
            }
        })
    }

    typealias Step = @Sendable (_ client: Int, _ call: Int, SyncConnection, inout AsyncStream<Value>.Iterator) async -> Void

    /// `clients` sockets, each doing `timed` (and then `untimed`, if given) again and again until
    /// `seconds` are up; each `timed` step is one latency sample.
    static func closedLoop(url: String, clients: Int, seconds: Double, timed: @escaping Step, untimed: Step? = nil) async -> Row {
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let histograms = await withTaskGroup(of: Histogram<UInt64>.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
                    let connection = SyncConnection(url: url)
                    defer { connection.close() }
                    var iterator = connection.messages.makeAsyncIterator()
                    var call = 0
                    while ContinuousClock.now < deadline {
                        let begin = ContinuousClock.now
                        await timed(client, call, connection, &iterator)
                        _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
                        await untimed?(client, call, connection, &iterator)
                        call += 1
                    }
                    return histogram
                }
            }
            return await group.reduce(into: [Histogram<UInt64>]()) { $0.append($1) }
        }
        return Row(merging: histograms, elapsed: (ContinuousClock.now - started).seconds)
    }

    static func queries(url: String, count: Int, writeBetween: Bool) async throws -> Row {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        let writer = SyncConnection(url: url)
        defer { writer.close() }
        var writes = writer.messages.makeAsyncIterator()
        let started = ContinuousClock.now
        for i in 0..<count {
            if writeBetween {
                writer.send(#"{"type":"Mutation","requestId":\#(i),"udfPath":"messages:post","args":[{"body":"q"}]}"#)
                while let message = await writes.next(), message["type"] != "MutationResponse" {}
            }
            let reader = SyncConnection(url: url)
            var iterator = reader.messages.makeAsyncIterator()
            let begin = ContinuousClock.now
            reader.send(#"{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{}]}]}"#)
            while let message = await iterator.next(), message["type"] != "Transition" {}
            _ = histogram.record(UInt64((ContinuousClock.now - begin).microseconds))
            reader.close()
        }
        return Row(count: count, elapsed: (ContinuousClock.now - started).seconds, histogram: histogram)
    }

    static func fanOut(url: String, subscribers: Int, rounds: Int) async throws -> Row {
        let arrivals = Arrivals()
        let connections = (0..<subscribers).map { _ in SyncConnection(url: url) }
        defer { for c in connections { c.close() } }
        let listeners = connections.map { connection in
            Task {
                connection.send(#"{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"messages:list","args":[{}]}]}"#)
                var subscribed = false
                var seen = Set<Int>()
                for await message in connection.messages where message["type"] == "Transition" {
                    if !subscribed {
                        subscribed = true
                        await arrivals.ready()
                        continue
                    }
                    let text = ConvexJSONWriter.encodeString(message)
                    // Each round counts once per subscriber: later results still contain earlier rounds' messages.
                    for round in 0..<rounds where !seen.contains(round) && text.contains("fanout-\(subscribers)-\(round)\"") {
                        seen.insert(round)
                        await arrivals.arrived(round: round)
                    }
                }
            }
        }
        defer { for listener in listeners { listener.cancel() } }
        while await arrivals.readyCount < subscribers { try await Task.sleep(for: .milliseconds(5)) }
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        let writer = SyncConnection(url: url)
        defer { writer.close() }
        let started = ContinuousClock.now
        for round in 0..<rounds {
            let begin = ContinuousClock.now
            writer.send(#"{"type":"Mutation","requestId":\#(round),"udfPath":"messages:post","args":[{"body":"fanout-\#(subscribers)-\#(round)"}]}"#)
            let deadline = begin + .seconds(60)
            while await arrivals.count(round: round) < subscribers, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            for arrival in await arrivals.times(round: round) { _ = histogram.record(UInt64((arrival - begin).microseconds)) }
        }
        return Row(count: subscribers * rounds, elapsed: (ContinuousClock.now - started).seconds, histogram: histogram)
    }
}

/// When each subscriber saw each round's change.
actor Arrivals {
    private(set) var readyCount = 0
    private var byRound: [Int: [ContinuousClock.Instant]] = [:]

    func ready() { readyCount += 1 }
    func arrived(round: Int) { byRound[round, default: []].append(.now) }
    func count(round: Int) -> Int { byRound[round]?.count ?? 0 }
    func times(round: Int) -> [ContinuousClock.Instant] { byRound[round] ?? [] }
}

extension Row {
    init(merging histograms: [Histogram<UInt64>], elapsed: Double) {
        var total = Histogram<UInt64>(highestTrackableValue: 60_000_000)
        for h in histograms { total.add(h) }
        self.init(count: Int(total.totalCount), elapsed: elapsed, histogram: total)
    }
}
