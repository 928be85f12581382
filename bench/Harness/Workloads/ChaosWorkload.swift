import BenchSupport
import Foundation

/// `chaos`: writers and transfer workers over the sync protocol with the JS client's rules
/// (`SessionClient`: one session across reconnects, unsettled mutations re-sent), while the storage
/// node, the coordinator, a db runner and an action runner are SIGKILLed in turn. Afterwards every key
/// a writer sent is counted in the database (an acknowledged one must be there once, any other at
/// most once) and the accounts must hold what they started with. Per role: the time from its kill
/// to the next successful mutation, probed over HTTP every 10 ms.
struct ChaosWorkload {
    var cycles = 12
    var interval: Duration = .seconds(4)
    var writers = 4
    var transferWorkers = 2
    static let accounts = 10
    static let balance = 1_000

    struct Victim: Sendable {
        let name: String
        let role: String
        let pool: String?
    }

    static let victims = [Victim(name: "storage node", role: "storage", pool: nil), Victim(name: "coordinator", role: "coordinator", pool: nil),
                          Victim(name: "db runner", role: "runner", pool: "db"), Victim(name: "action runner", role: "runner", pool: "action")]

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        guard let cluster = deployment.cluster else {
            throw BenchFailure("chaos kills the cluster's processes, so it runs only on a cluster the harness starts, not with --url")
        }
        var result = WorkloadResult(name: "chaos", description: "\(writers) writers (bench:put) and \(transferWorkers) transfer workers with the JS client's re-sends; "
            + "storage node, coordinator, db runner and action runner SIGKILLed in turn, \(cycles) kills, one every \(interval)")
        _ = try await deployment.call("mutation", "bench:seedAccounts", args: #"{"count":\#(Self.accounts),"balance":\#(Self.balance)}"#)
        let moneyBefore = try await deployment.call("query", "bench:totalBalance").number ?? 0

        let started = ContinuousClock.now
        let stop = Locked(false)
        let sent = Locked<[String]>([])
        let acknowledged = Locked<[String]>([])
        let writes = Locked(LatencyRecorder(start: started))
        let transfers = Locked(LatencyRecorder(start: started))
        let transferOutcomes = Locked((applied: 0, refused: 0))
        let writeProgress = ProgressLine("chaos writes", seconds: nil, every: .seconds(5))
        let transferProgress = ProgressLine("chaos transfers", seconds: nil, every: .seconds(60))
        defer { writeProgress.finish(); transferProgress.finish() }

        let writerClients = (0..<writers).map { _ in SessionClient(url: deployment.url) }
        let writerTasks = writerClients.enumerated().map { index, client in
            Task {
                var n = 0
                while !stop.value {
                    let key = "w\(index)-\(n)"
                    n += 1
                    sent.withLock { $0.append(key) }
                    let begin = ContinuousClock.now
                    switch await client.mutate("bench:put", args: #"{"key":"\#(key)"}"#) {
                    case .success:
                        acknowledged.withLock { $0.append(key) }
                        let end = ContinuousClock.now
                        writes.withLock { $0.record(end - begin, endingAt: end) }
                        writeProgress.done()
                    case .failure(let message):
                        writeProgress.failure(message)
                    }
                }
            }
        }
        let transferClients = (0..<transferWorkers).map { _ in SessionClient(url: deployment.url) }
        let transferTasks = transferClients.map { client in
            Task {
                var random = SystemRandomNumberGenerator()
                while !stop.value {
                    let from = Int.random(in: 0..<Self.accounts, using: &random)
                    let to = (from + Int.random(in: 1..<Self.accounts, using: &random)) % Self.accounts
                    let begin = ContinuousClock.now
                    switch await client.mutate("bench:transfer", args: #"{"from":\#(from),"to":\#(to),"amount":\#(Int.random(in: 1...50, using: &random))}"#) {
                    case .success:
                        transferOutcomes.withLock { $0.applied += 1 }
                        let end = ContinuousClock.now
                        transfers.withLock { $0.record(end - begin, endingAt: end) }
                        transferProgress.done()
                    case .failure(let message) where message.contains("InsufficientFunds"):
                        transferOutcomes.withLock { $0.refused += 1 }
                    case .failure(let message):
                        transferProgress.failure(message)
                    }
                }
            }
        }

        var recoveries: [String: LatencyRecorder] = [:]
        for cycle in 0..<cycles {
            try await Task.sleep(for: interval)
            let victim = Self.victims[cycle % Self.victims.count]
            guard cluster.kill(role: victim.role, pool: victim.pool) != nil else {
                result.problems.append("there was no \(victim.name) to kill in cycle \(cycle + 1)")
                continue
            }
            let killedAt = ContinuousClock.now
            var recovered: Duration?
            while ContinuousClock.now - killedAt < .seconds(60) {
                if (try? await deployment.call("mutation", "bench:insert", args: #"{"client":-2,"seq":\#(cycle)}"#)) != nil {
                    recovered = ContinuousClock.now - killedAt
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard let recovered else {
                result.problems.append("no mutation succeeded within 60 s of killing the \(victim.name)")
                continue
            }
            recoveries[victim.name, default: LatencyRecorder(start: started, interval: .seconds(3600))].record(recovered)
            say(String(format: "  … chaos %d/%d: %@ killed; a mutation succeeded again after %.0f ms", cycle + 1, cycles, victim.name, recovered.seconds * 1000))
        }

        // Stop sending; let what is in flight settle (a client may still be reconnecting), then give up on the rest.
        stop.withLock { $0 = true }
        let clients = writerClients + transferClients
        let settleDeadline = ContinuousClock.now + .seconds(60)
        var unsettled = 0
        repeat {
            unsettled = 0
            for client in clients { unsettled += await client.unsettled }
            if unsettled > 0 { try await Task.sleep(for: .milliseconds(50)) }
        } while unsettled > 0 && ContinuousClock.now < settleDeadline
        var reconnects = 0
        for client in clients {
            reconnects += await client.reconnects
            await client.stop()
        }
        for task in writerTasks + transferTasks { await task.value }
        let elapsed = (ContinuousClock.now - started).seconds

        // Every key sent, counted: acknowledged ones must be there exactly once, the others at most once.
        let keys = sent.value
        let acked = Set(acknowledged.value)
        var lost = 0, duplicated = 0
        for batchStart in stride(from: 0, to: keys.count, by: 1_000) {
            let batch = Array(keys[batchStart..<min(keys.count, batchStart + 1_000)])
            let args = #"{"keys":[\#(batch.map { #""\#($0)""# }.joined(separator: ","))]}"#
            guard case .array(let counts) = try await deployment.call("query", "bench:keyCounts", args: args) else {
                throw BenchFailure("bench:keyCounts did not return an array")
            }
            for (key, count) in zip(batch, counts.map { Int($0.number ?? 0) }) {
                if count > 1 { duplicated += 1 }
                if count == 0, acked.contains(key) { lost += 1 }
            }
        }
        let moneyAfter = try await deployment.call("query", "bench:totalBalance").number ?? 0

        let writeRecorder = writes.value
        result.runs.append(RunResult(label: "writes (bench:put)", operations: acked.count, errors: writeProgress.failedCount,
                                     errorSamples: writeProgress.failureSamples, seconds: elapsed, recorder: writeRecorder))
        let outcomes = transferOutcomes.value
        result.runs.append(RunResult(label: "transfers (bench:transfer)", operations: outcomes.applied, errors: transferProgress.failedCount,
                                     errorSamples: transferProgress.failureSamples, seconds: elapsed, recorder: transfers.value,
                                     figures: [Figure(name: "refused for lack of funds", value: Double(outcomes.refused), unit: "")]))
        for victim in Self.victims {
            guard let recorder = recoveries[victim.name] else { continue }
            let summary = LatencySummary(recorder.total)
            var recovery = RunResult(label: "kill → write: \(victim.name)", operations: Int(summary.samples), seconds: elapsed, recorder: recorder)
            // A few samples, one per kill: their distribution is the point, not a rate over time.
            recovery.timeline = []
            result.runs.append(recovery)
            result.figures.append(Figure(name: "\(victim.name): kill to next successful mutation, p50", value: Double(summary.p50) / 1000, unit: "ms"))
            result.figures.append(Figure(name: "\(victim.name): kill to next successful mutation, max", value: Double(summary.max) / 1000, unit: "ms"))
        }
        result.figures += [
            Figure(name: "mutations sent by writers", value: Double(keys.count), unit: ""),
            Figure(name: "acknowledged writes", value: Double(acked.count), unit: ""),
            Figure(name: "acknowledged writes lost", value: Double(lost), unit: ""),
            Figure(name: "writes applied more than once", value: Double(duplicated), unit: ""),
            Figure(name: "mutations unsettled at the end", value: Double(unsettled), unit: ""),
            Figure(name: "money before", value: moneyBefore, unit: ""),
            Figure(name: "money after", value: moneyAfter, unit: ""),
            Figure(name: "client reconnects", value: Double(reconnects), unit: ""),
        ]
        if lost > 0 { result.problems.append("\(lost) of \(acked.count) acknowledged writes are missing") }
        if duplicated > 0 { result.problems.append("\(duplicated) writes were applied more than once") }
        if moneyAfter != moneyBefore { result.problems.append("money was not conserved: \(moneyBefore) before, \(moneyAfter) after") }
        if unsettled > 0 { result.problems.append("\(unsettled) mutations had not settled 60 s after the last kill") }
        return result
    }
}
