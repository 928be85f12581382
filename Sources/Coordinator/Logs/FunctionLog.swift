import Foundation
import NIOCore
import Protocol

/// The last executions of functions, for `converge logs` and `converge dev`: a ring in memory bounded
/// by entries and by bytes (nothing is written to disk), read by sequence number, with long polling.
actor FunctionLog {
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

        var bytes: Int { function.utf8.count + (error?.utf8.count ?? 0) + logLines.reduce(64) { $0 + $1.utf8.count } }
    }

    private var entries = CircularBuffer<Entry>()
    private var bytes = 0
    private var nextSequence: UInt64 = 1
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private let maxEntries: Int
    private let maxBytes: Int

    init(maxEntries: Int = 10_000, maxBytes: Int = 64 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The sequence number of the newest entry (0 when empty): a client that starts there sees only what comes after.
    var latestSequence: UInt64 { nextSequence - 1 }

    func record(function: String, kind: String, duration: Duration, outcome: String, error: String?, logLines: [String]) {
        let entry = Entry(sequence: nextSequence, time: Date(), function: function, kind: kind, duration: duration,
                          outcome: outcome, error: error, logLines: logLines)
        nextSequence += 1
        entries.append(entry)
        bytes += entry.bytes
        while entries.count > maxEntries || (bytes > maxBytes && entries.count > 1) {
            bytes -= entries.removeFirst().bytes
        }
        let woken = waiters.values
        waiters = [:]
        for waiter in woken { waiter.resume() }
    }

    /// Entries after `sequence`, oldest first; if there are none yet, waits up to `wait` for one.
    func entries(after sequence: UInt64, wait: Duration) async -> [Entry] {
        if latestSequence <= sequence, wait > .zero {
            let id = nextWaiter
            nextWaiter += 1
            let timeout = Task { [weak self] in
                try? await Task.sleep(for: wait)
                await self?.timeOut(id)
            }
            // Registered in the same actor turn as the check above, so no entry can slip in between.
            await withCheckedContinuation { waiters[id] = $0 }
            timeout.cancel()
        }
        return entries.filter { $0.sequence > sequence }
    }

    private func timeOut(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume()
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
