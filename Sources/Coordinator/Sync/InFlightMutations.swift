import Protocol
import Synchronization

/// Sync mutations running on this coordinator, by idempotency key. A client that lost its socket
/// re-sends its unsettled mutations on a new one; a re-send of a mutation still running here waits
/// for that run's outcome instead of starting a second run. (A re-send that reaches another or a
/// restarted coordinator is caught by the storage node, which commits once per key.)
final class InFlightMutations: Sendable {
    private let running = Mutex<[IdempotencyKey: Task<FunctionResult, Error>]>([:])

    /// The outcome of the run under `key`: the one in flight, or a new one of `body`. The run goes on
    /// if the caller goes away (its socket closed): a re-send will want the outcome.
    func run(_ key: IdempotencyKey, _ body: @escaping @Sendable () async throws -> FunctionResult) async throws -> FunctionResult {
        let task = running.withLock { running in
            if let existing = running[key] { return existing }
            let task = Task {
                defer { self.finished(key) }
                return try await body()
            }
            running[key] = task
            return task
        }
        return try await task.value
    }

    var count: Int { running.withLock { $0.count } }

    /// Not inlined into the task, which calls it after an `await` (see `QueryResultCache.keep(_:of:)`).
    @inline(never)
    private func finished(_ key: IdempotencyKey) {
        _ = running.withLock { $0.removeValue(forKey: key) }
    }
}
