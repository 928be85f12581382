import Synchronization

/// Runs of work by key, at most one at a time per key: a caller asking for a key whose run is in
/// flight waits for that run's result instead of starting another. The coordinator and the runners
/// use it for mutations by idempotency key, so a client's re-send of a mutation still running joins
/// that run rather than running it a second time.
///
/// The first caller runs the work in its own task (none is made for it: this is on every mutation's
/// path), so the work sees that caller's cancellation; later callers of the same key wait for it.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The callers waiting for each key's run, by key; a key is here while its run is in flight.
    /// (Joiners get an optional value: nil tells one that came too late to look again.)
    private let waiting = Mutex<[Key: [CheckedContinuation<Value?, Error>]]>([:])

    public init() {}

    /// The result of the run under `key`: the one in flight, or `body`'s.
    public func run(_ key: Key, _ body: () async throws -> Value) async throws -> Value {
        while true {
            if lead(key) {
                let result: Result<Value, Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                for joiner in finish(key) { joiner.resume(with: result.map { Optional($0) }) }
                return try result.get()
            }
            // The run may end between the check above and joining it: then look again.
            if let value = try await join(key) { return value }
        }
    }

    /// Runs in flight now.
    public var count: Int { waiting.withLock { $0.count } }

    private func lead(_ key: Key) -> Bool {
        waiting.withLock { waiting in
            guard waiting[key] == nil else { return false }
            waiting[key] = []
            return true
        }
    }

    /// The run's value, or nil if it had ended before this caller joined.
    private func join(_ key: Key) async throws -> Value? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value?, Error>) in
            let joined = waiting.withLock { waiting in
                guard waiting[key] != nil else { return false }
                waiting[key]!.append(continuation)
                return true
            }
            if !joined { continuation.resume(returning: nil) }
        }
    }

    /// Takes the waiters of `key` (after an `await` in `run`).
    private func finish(_ key: Key) -> [CheckedContinuation<Value?, Error>] {
        waiting.withLockAfterAwait { $0.removeValue(forKey: key) ?? [] }
    }
}
