import Foundation

/// One socket's closed loop of mutations, driven from the socket's event loop: each response and
/// Transition is read where it arrives and the next mutation goes out from there, so no task wakes
/// per message. For the throughput workloads, where the harness shares the cores with the deployment
/// it measures and every microsecond it spends is one the deployment does not get.
///
/// Confined to its socket's event loop (hence unchecked Sendable): every method runs there.
final class MutationLoop: @unchecked Sendable {
    private let connection: SyncConnection
    private let mutation: (_ call: Int) -> String
    private let measuredFrom: ContinuousClock.Instant
    private let deadline: ContinuousClock.Instant
    private let progress: ProgressLine
    private var finished: CheckedContinuation<LatencyRecorder, Never>?
    private var recorder: LatencyRecorder
    private var call = 0
    private var sentAt = ContinuousClock.now
    private var response: String?

    private init(connection: SyncConnection, mutation: @escaping (Int) -> String, measuredFrom: ContinuousClock.Instant,
                 deadline: ContinuousClock.Instant, progress: ProgressLine, finished: CheckedContinuation<LatencyRecorder, Never>) {
        self.connection = connection
        self.mutation = mutation
        self.measuredFrom = measuredFrom
        self.deadline = deadline
        self.progress = progress
        self.finished = finished
        recorder = LatencyRecorder(start: measuredFrom)
    }

    /// Sends mutations one after another until `deadline`, each when the last one has settled (its
    /// response and the Transition after it, as the official clients wait). Those sent before
    /// `measuredFrom` warm up and are not recorded. Returns the latencies of the others.
    static func run(on connection: SyncConnection, mutation: @escaping @Sendable (_ call: Int) -> String, measuredFrom: ContinuousClock.Instant,
                    deadline: ContinuousClock.Instant, progress: ProgressLine) async -> LatencyRecorder {
        await withCheckedContinuation { finished in
            let loop = MutationLoop(connection: connection, mutation: mutation, measuredFrom: measuredFrom, deadline: deadline,
                                    progress: progress, finished: finished)
            if !connection.consumeOnEventLoop({ loop.handle($0) }, then: { loop.send() }) {
                progress.failure("the socket is not open")
                finished.resume(returning: loop.recorder)
            }
        }
    }

    private func send() {
        sentAt = .now
        connection.send(mutation(call))
    }

    private func handle(_ event: SyncSocketEvent) {
        guard finished != nil else { return }
        guard case .message(let message) = event else {
            if sentAt >= measuredFrom { progress.failure("the socket closed") }
            return finish()
        }
        if SyncMessage.hasType(message, "MutationResponse") {
            response = message
            return
        }
        guard let response, SyncMessage.hasType(message, "Transition") else { return }
        self.response = nil
        let now = ContinuousClock.now
        if sentAt >= measuredFrom {
            if SyncMessage.succeeded(response) {
                recorder.record(now - sentAt, endingAt: now)
                progress.done()
            } else {
                progress.failure("the mutation failed: \(SyncMessage.mutationError(response))")
            }
        }
        call += 1
        if now < deadline { send() } else { finish() }
    }

    private func finish() {
        finished?.resume(returning: recorder)
        finished = nil
    }
}
