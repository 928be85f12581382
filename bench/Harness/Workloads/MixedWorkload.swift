import BenchSupport
import Foundation

/// `mixed`: a soak of writes, reads and subscriptions together, open loop (requests go out on a
/// schedule, and latency counts from when each was due). Every interval it samples memory and the
/// database size; at the end (when the harness started the cluster) it SIGKILLs the storage node
/// while the writers keep going, times how long until a write succeeds again, and checks that every
/// acknowledged insert is in the database.
struct MixedWorkload {
    var seconds: Double
    var writesPerSecond = 100.0
    var readsPerSecond = 100.0
    var subscribers = 200
    var interval: Duration = .seconds(10)
    private static let writerSockets = 4

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "mixed", description: String(
            format: "%.0f inserts/s over %d sockets, %.0f HTTP reads/s of bench:recent, %d sockets subscribed to it", writesPerSecond,
            Self.writerSockets, readsPerSecond, subscribers))
        let subscriberSockets = await ClosedLoop.open(subscribers, url: deployment.url)
        defer { for connection in subscriberSockets { connection.close() } }
        let deliveries = Locked<Int>(0)
        let listeners = subscriberSockets.map { connection in
            Task {
                var inbox = SyncInbox(connection)
                connection.send(SyncMessage.addQueries(version: 1, [(0, "bench:recent", "{}")]))
                while let message = await inbox.next() {
                    if SyncMessage.hasType(message, "Transition") { deliveries.withLock { $0 += 1 } }
                }
            }
        }
        defer { for listener in listeners { listener.cancel() } }

        let started = ContinuousClock.now
        let writes = Locked(LatencyRecorder(start: started, interval: interval))
        let reads = Locked(LatencyRecorder(start: started, interval: interval))
        let acknowledged = Locked<[String]>([])
        let writeFailures = Locked<[String]>([])
        let readFailures = Locked<Int>(0)
        let stopWriting = Locked<Bool>(false)
        let progress = ProgressLine("mixed", seconds: seconds, every: .seconds(10))
        defer { progress.finish() }

        let readDeadline = started + .seconds(seconds)
        // Writes due after the soak belong to the crash: they are checked for loss but kept out of the
        // soak's latency and error figures.
        let crashWrites = Locked<(succeeded: Int, failed: Int)>((0, 0))
        let writers = (0..<Self.writerSockets).map { writer in
            Task { [writesPerSecond] in
                await Self.writeOnSchedule(url: deployment.url, writer: writer, period: .seconds(Double(Self.writerSockets) / writesPerSecond),
                                           until: { stopWriting.value }) { due, outcome in
                    let now = ContinuousClock.now
                    let duringSoak = due < readDeadline
                    switch outcome {
                    case .success(let id):
                        acknowledged.withLock { $0.append(id) }
                        if duringSoak {
                            writes.withLock { $0.record(now - due, endingAt: now) }
                            progress.done()
                        } else {
                            crashWrites.withLock { $0.succeeded += 1 }
                        }
                    case .failure(let message):
                        if duringSoak {
                            writeFailures.withLock { $0.append(message) }
                            progress.failure()
                        } else {
                            crashWrites.withLock { $0.failed += 1 }
                        }
                    }
                }
            }
        }
        let readers = (0..<4).map { _ in
            Task { [readsPerSecond] in
                let period = Duration.seconds(4 / readsPerSecond)
                var due = ContinuousClock.now
                while due < readDeadline {
                    try? await Task.sleep(until: due)
                    do {
                        _ = try await deployment.call("query", "bench:recent")
                        let now = ContinuousClock.now
                        reads.withLock { $0.record(now - due, endingAt: now) }
                    } catch {
                        readFailures.withLock { $0 += 1 }
                    }
                    due += period
                }
            }
        }

        var samples: [ResourceSample] = []
        while ContinuousClock.now < readDeadline {
            try await Task.sleep(for: min(interval, readDeadline - ContinuousClock.now))
            if let cluster = deployment.cluster {
                let sample = ResourceSample(second: (ContinuousClock.now - started).seconds, cluster: cluster)
                samples.append(sample)
                say(String(format: "  … mixed at %.0f s: coordinator %.1f MiB, storage %.1f MiB, runners %.1f MiB, database %.1f MiB",
                             sample.second, sample.coordinatorMiB, sample.storageMiB, sample.runnersMiB, sample.databaseMiB))
            }
        }
        for reader in readers { await reader.value }

        // The crash: writers keep sending while the storage node is killed and restarted.
        var outage: Double?
        var killed = false
        if let cluster = deployment.cluster {
            guard cluster.killStorage() != nil else { throw BenchFailure("mixed: the local cluster has no storage node process to kill") }
            killed = true
            let killedAt = ContinuousClock.now
            say("  … mixed: storage node SIGKILLed; waiting for a write to succeed")
            while ContinuousClock.now - killedAt < .seconds(120) {
                if (try? await deployment.call("mutation", "bench:insert", args: #"{"client":-1,"seq":0}"#)) != nil {
                    outage = (ContinuousClock.now - killedAt).seconds
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .seconds(2))
        } else {
            say("  … mixed: the storage node of a deployment given by --url is not this harness's to kill; no crash this time")
        }
        stopWriting.withLock { $0 = true }
        for writer in writers { await writer.value }
        let elapsed = (ContinuousClock.now - started).seconds

        let ids = acknowledged.withLock { $0 }
        var missing = 0
        for batchStart in stride(from: 0, to: ids.count, by: 1_000) {
            let batch = ids[batchStart..<min(ids.count, batchStart + 1_000)]
            let answer = try await deployment.call("query", "bench:missing", args: #"{"ids":[\#(batch.map { #""\#($0)""# }.joined(separator: ","))]}"#)
            if case .array(let lost) = answer { missing += lost.count }
        }

        let writeRecorder = writes.withLock { $0 }
        var writeRun = RunResult(label: "writes (bench:insert)", operations: Int(writeRecorder.total.totalCount), errors: writeFailures.withLock { $0.count },
                                 seconds: seconds, recorder: writeRecorder)
        let crash = crashWrites.value
        writeRun.figures.append(Figure(name: "acknowledged writes lost (soak and crash)", value: Double(missing), unit: ""))
        writeRun.figures.append(Figure(name: "writes around the crash acknowledged", value: Double(crash.succeeded), unit: ""))
        writeRun.figures.append(Figure(name: "writes around the crash failed", value: Double(crash.failed), unit: ""))
        writeRun.figures.append(Figure(name: "wall time including the crash", value: elapsed, unit: "s"))
        let readRecorder = reads.withLock { $0 }
        let readRun = RunResult(label: "reads (HTTP bench:recent)", operations: Int(readRecorder.total.totalCount),
                                errors: readFailures.value, seconds: seconds, recorder: readRecorder)
        result.runs = [writeRun, readRun]
        result.figures.append(Figure(name: "subscriber deliveries", value: Double(deliveries.value), unit: ""))
        if let outage { result.figures.append(Figure(name: "serving again after storage SIGKILL", value: outage * 1000, unit: "ms")) }
        if killed && outage == nil { result.problems.append("no write succeeded within 120 s of killing the storage node") }
        if missing > 0 { result.problems.append("\(missing) of \(ids.count) acknowledged writes are missing") }
        if let failure = writeFailures.withLock({ $0.first }) {
            result.problems.append("\(writeFailures.withLock { $0.count }) writes due during the soak failed: \(failure)")
        }
        if readRun.errors > 0 { result.problems.append("\(readRun.errors) reads failed") }
        result.figures += Self.drift(writeRecorder, seconds: seconds, of: "write")
        result.figures += Self.drift(readRecorder, seconds: seconds, of: "read")
        result.figures += Self.trend(samples)
        result.samples = samples
        return result
    }

    /// p99 in the first and the last tenth of the soak (before the kill), and their ratio.
    private static func drift(_ recorder: LatencyRecorder, seconds: Double, of kind: String) -> [Figure] {
        let count = max(1, Int(seconds / recorder.interval.seconds))
        let tenth = max(1, count / 10)
        guard recorder.intervals.count >= count else { return [] }
        func p99(_ range: Range<Int>) -> Double {
            var merged = LatencyRecorder(start: recorder.start, interval: recorder.interval).total
            for index in range { merged.add(recorder.intervals[index]) }
            return Double(merged.valueAtPercentile(99))
        }
        let start = p99(0..<tenth), end = p99((count - tenth)..<count)
        return [Figure(name: "\(kind) p99, first tenth", value: start, unit: "µs"), Figure(name: "\(kind) p99, last tenth", value: end, unit: "µs"),
                Figure(name: "\(kind) p99 drift (last / first)", value: start > 0 ? end / start : 0, unit: "×")]
    }

    /// Memory and database size at the first sample and at the last.
    private static func trend(_ samples: [ResourceSample]) -> [Figure] {
        guard let first = samples.first, let last = samples.last else { return [] }
        return [Figure(name: "coordinator memory, first sample", value: first.coordinatorMiB, unit: "MiB"),
                Figure(name: "coordinator memory, last sample", value: last.coordinatorMiB, unit: "MiB"),
                Figure(name: "storage memory, first sample", value: first.storageMiB, unit: "MiB"),
                Figure(name: "storage memory, last sample", value: last.storageMiB, unit: "MiB"),
                Figure(name: "runner memory, last sample", value: last.runnersMiB, unit: "MiB"),
                Figure(name: "database size, first sample", value: first.databaseMiB, unit: "MiB"),
                Figure(name: "database size, last sample", value: last.databaseMiB, unit: "MiB")]
    }

    enum WriteOutcome { case success(id: String), failure(String) }

    /// One socket sending `bench:insert` every `period` (several may be outstanding), reporting each
    /// outcome with the time the write was due. On a closed socket it reconnects.
    private static func writeOnSchedule(url: String, writer: Int, period: Duration, until stop: @escaping @Sendable () -> Bool,
                                        report: @escaping @Sendable (ContinuousClock.Instant, WriteOutcome) -> Void) async {
        var seq = 0
        var due = ContinuousClock.now
        while !stop() {
            let connection = SyncConnection(url: url)
            let outstanding = Locked<[Int: ContinuousClock.Instant]>([:])
            let closed = Locked<Bool>(false)
            let receiver = Task {
                defer { closed.withLock { $0 = true } }
                var inbox = SyncInbox(connection)
                while let response = await inbox.next(ofType: "MutationResponse") {
                    let outcome = SyncMessage.mutationOutcome(response)
                    guard let sent = outstanding.withLock({ $0.removeValue(forKey: outcome.requestId) }) else { continue }
                    if outcome.success, case .string(let id)? = outcome.result {
                        report(sent, .success(id: id))
                    } else {
                        report(sent, .failure(outcome.result.map { "\($0)" } ?? "no result"))
                    }
                }
            }
            while !stop(), !closed.value {
                try? await Task.sleep(until: due)
                outstanding.withLock { $0[seq] = due }
                connection.send(SyncMessage.mutation(requestId: seq, path: "bench:insert", args: #"{"client":\#(writer),"seq":\#(seq)}"#))
                seq += 1
                due += period
                if outstanding.withLock({ $0.count }) > 10_000 { break }
            }
            // Let the last responses arrive (unless the socket is gone), then count what never got one.
            for _ in 0..<500 where !outstanding.withLock({ $0.isEmpty }) && !closed.value { try? await Task.sleep(for: .milliseconds(20)) }
            connection.close()
            receiver.cancel()
            for (_, sent) in outstanding.withLock({ $0 }) { report(sent, .failure("no response")) }
        }
    }
}
