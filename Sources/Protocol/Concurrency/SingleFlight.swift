import Synchronization

/// Runs of work by key, at most one at a time per key: a caller asking for a key whose run is in
/// flight waits for that run's result instead of starting another. The coordinator and the runners
/// use it for mutations by idempotency key, so a client's re-send of a mutation still running joins
/// that run rather than running it a second time.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let running = Mutex<[Key: Task<Value, Error>]>([:])

    public init() {}

    /// The result of the run under `key`: the one in flight, or a new one of `body`. The run goes on
    /// if the caller is cancelled or goes away: a later caller will want its result.
    public func run(_ key: Key, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
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

    /// Runs in flight now.
    public var count: Int { running.withLock { $0.count } }

    /// Not inlined into the task, which calls it after an `await`: `Mutex` locks with the thread's ID,
    /// which the optimizer may compute before an `await` and use after it, on another thread.
    @inline(never)
    private func finished(_ key: Key) {
        _ = running.withLock { $0.removeValue(forKey: key) }
    }
}
