import Foundation
import NIOCore
import Protocol
import Synchronization

/// The last executions of functions, for `converge logs` and `converge dev`: a ring in memory bounded
/// by entries and by bytes (nothing is written to disk), read by sequence number, with long polling.
/// A lock, not an actor: every function call records here, and should not wait for a hop to do so.
final class FunctionLog: Sendable {
    struct Entry: Sendable {
        let sequence: UInt64
        let time: Date
        let function: String
        let kind: String
        let duration: Duration
        /// `success`, `error` (the function threw) or `failed` (it could not run).
        let outcome: String
        let error: String?
        let logLines: [String]
        /// What the entry counts against the byte bound.
        let bytes: Int

        init(sequence: UInt64, time: Date, function: String, kind: String, duration: Duration, outcome: String, error: String?, logLines: [String]) {
            self.sequence = sequence
            self.time = time
            self.function = function
            self.kind = kind
            self.duration = duration
            self.outcome = outcome
            self.error = error
            self.logLines = logLines
            bytes = function.utf8.count + (error?.utf8.count ?? 0) + logLines.reduce(64) { $0 + $1.utf8.count }
        }
    }

    private struct State {
        var entries = CircularBuffer<Entry>()
        var bytes = 0
        var nextSequence: UInt64 = 1
        /// Long polls waiting for the next entry, and those whose wait is not over yet.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var polls = Set<UInt64>()
        var timedOut = Set<UInt64>()
        var nextPoll: UInt64 = 0

        var latestSequence: UInt64 { nextSequence - 1 }
    }

    private let state = Mutex(State())
    private let maxEntries: Int
    private let maxBytes: Int

    init(maxEntries: Int = 10_000, maxBytes: Int = 64 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The sequence number of the newest entry (0 when empty): a client that starts there sees only what comes after.
    var latestSequence: UInt64 { state.withLock { $0.latestSequence } }

    func record(function: String, kind: String, duration: Duration, outcome: String, error: String?, logLines: [String]) {
        let woken = state.withLock { state in
            let entry = Entry(sequence: state.nextSequence, time: Date(), function: function, kind: kind, duration: duration,
                              outcome: outcome, error: error, logLines: logLines)
            state.nextSequence += 1
            state.entries.append(entry)
            state.bytes += entry.bytes
            while state.entries.count > maxEntries || (state.bytes > maxBytes && state.entries.count > 1) {
                state.bytes -= state.entries.removeFirst().bytes
            }
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in woken { waiter.resume() }
    }

    /// Entries after `sequence`, oldest first; if there are none yet, waits up to `wait` for one.
    func entries(after sequence: UInt64, wait: Duration) async -> [Entry] {
        if wait > .zero {
            let poll = state.withLock { state in
                defer { state.nextPoll += 1 }
                state.polls.insert(state.nextPoll)
                return state.nextPoll
            }
            let timeout = Task { [weak self] in
                try? await Task.sleep(for: wait)
                self?.timeOut(poll)
            }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.latestSequence > sequence || state.timedOut.contains(poll) { return true }
                    state.waiters[poll] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
            timeout.cancel()
            endPoll(poll)
        }
        return entries(after: sequence)
    }

    private func endPoll(_ poll: UInt64) {
        state.withLockAfterAwait { state in
            state.polls.remove(poll)
            state.timedOut.remove(poll)
        }
    }

    private func entries(after sequence: UInt64) -> [Entry] {
        state.withLockAfterAwait { state in
            // Sequence numbers are consecutive: the entries after `sequence` are a suffix of the ring.
            guard let first = state.entries.first?.sequence else { return [] }
            let skipped = sequence >= first ? Int(sequence - first + 1) : 0
            return Array(state.entries.dropFirst(skipped))
        }
    }

    private func timeOut(_ poll: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: poll) { return waiter }
            // Not waiting yet (or no longer): a poll still under way must not start waiting after this.
            if state.polls.contains(poll) { state.timedOut.insert(poll) }
            return nil
        }
        waiter?.resume()
    }
}

extension FunctionLog.Entry {
    var json: String {
        var object = JSONObject()
        object.raw("sequence", String(sequence))
        object.raw("time", String(format: "%.3f", time.timeIntervalSince1970))
        object.string("function", function)
        object.string("kind", kind)
        object.raw("durationMs", String(format: "%.3f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000))
        object.string("outcome", outcome)
        if let error { object.string("error", error) }
        object.strings("logLines", logLines)
        return object.text
    }
}
