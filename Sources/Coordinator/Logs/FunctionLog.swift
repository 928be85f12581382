import Foundation
import Protocol

/// The last executions of functions, for `converge logs` and `converge dev`: a bounded ring in memory
/// (nothing is written to disk), read by sequence number, with long polling for new entries.
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
    }

    private var entries: [Entry] = []
    private var start = 0
    private var nextSequence: UInt64 = 1
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func record(function: String, kind: String, duration: Duration, outcome: String, error: String?, logLines: [String]) {
        let entry = Entry(sequence: nextSequence, time: Date(), function: function, kind: kind, duration: duration,
                          outcome: outcome, error: error, logLines: logLines)
        nextSequence += 1
        if entries.count < capacity {
            entries.append(entry)
        } else {
            entries[start] = entry
            start = (start + 1) % capacity
        }
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
    }

    /// Entries after `sequence`, oldest first; waits up to `wait` for one if there are none yet.
    func entries(after sequence: UInt64, wait: Duration) async -> [Entry] {
        if nextSequence - 1 <= sequence, wait > .zero {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitForEntry() }
                group.addTask { try? await Task.sleep(for: wait) }
                await group.next()
                group.cancelAll()
                self.wakeAll()
            }
        }
        let ordered = entries[start...] + entries[..<start]
        return ordered.filter { $0.sequence > sequence }
    }

    /// The sequence number of the newest entry (0 when empty): a client that starts there sees only what comes after.
    var latestSequence: UInt64 { nextSequence - 1 }

    private func waitForEntry() async {
        await withCheckedContinuation { waiters.append($0) }
    }

    private func wakeAll() {
        let woken = waiters
        waiters = []
        for waiter in woken { waiter.resume() }
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
