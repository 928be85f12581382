import Protocol
import Synchronization

/// Shares query executions: one run serves every caller asking for the same function and arguments
/// at the same snapshot, whether it is still running or recently finished. After a commit, every
/// subscriber of a query re-runs it at the new latest timestamp, so they meet here.
///
/// Callers of other identities share a run too, unless the query read its caller's identity: then
/// each identity gets a run of its own. A caller of another identity waits for the first run to
/// learn which case it is.
///
/// A class behind a lock rather than an actor: every session after a commit asks it, and a finished
/// result is handed over where the caller runs, with no hop to an actor and back.
final class QueryResultCache: Sendable {
    struct Key: Hashable {
        let deployment: String
        let environment: String
        let path: CanonicalFunctionPath
        let args: String
        /// Admin callers may run internal functions; others get an error from the same query.
        let allowInternal: Bool
        let snapshotTs: Timestamp
        /// A paginated query's page ends where the journal says: runs with other journals differ.
        let journal: String?
    }

    private struct Entry: Hashable {
        let key: Key
        let identity: String
    }

    private struct State {
        var runs: [Entry: Task<SharedQueryResult, Error>] = [:]
        /// Runs that have finished, handed out without awaiting their task (which would leave the
        /// caller's executor and come back).
        var finished: [Entry: SharedQueryResult] = [:]
        /// The identity of each key's first run, which serves every identity if it did not read auth.
        var firstIdentity: [Key: String] = [:]
        /// Runs in the order they started. Those before `orderStart` were evicted: dropping the oldest
        /// does not move the whole array (4,096 entries) under the lock every session takes.
        var order: [Entry] = []
        var orderStart = 0
        /// What each finished run's result holds, and their sum: results are kept within `maxBytes` as
        /// well as `capacity`, so a few large ones cannot hold the coordinator's memory.
        var sizes: [Entry: Int] = [:]
        var bytes = 0
        var executions = 0
        var lookups = 0

        var count: Int { order.count - orderStart }

        /// Drops the oldest runs while over either bound; the newest always stays.
        mutating func evict(capacity: Int, maxBytes: Int) {
            while count > capacity || (bytes > maxBytes && count > 1) {
                forget(order[orderStart])
                orderStart += 1
            }
            // The evicted prefix goes once it is as long as the rest.
            if orderStart >= 64, orderStart * 2 >= order.count {
                order.removeFirst(orderStart)
                orderStart = 0
            }
        }

        /// Forgets a run that failed, wherever it is in the order.
        mutating func forgetFailed(_ entry: Entry) {
            forget(entry)
            if let index = order[orderStart...].firstIndex(of: entry) { order.remove(at: index) }
        }

        mutating func forget(_ entry: Entry) {
            runs[entry] = nil
            finished[entry] = nil
            bytes -= sizes.removeValue(forKey: entry) ?? 0
            if firstIdentity[entry.key] == entry.identity { firstIdentity[entry.key] = nil }
        }
    }

    /// What a lookup found: a run of the caller's identity, or one of another identity that serves
    /// it unless it read auth.
    private enum Found {
        case finished(SharedQueryResult)
        case mine(Task<SharedQueryResult, Error>)
        case otherIdentity(Task<SharedQueryResult, Error>)
        case started(Task<SharedQueryResult, Error>)
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let maxBytes: Int
    private let metrics: CoordinatorMetrics

    init(capacity: Int = 4096, maxBytes: Int = 64 << 20, metrics: CoordinatorMetrics) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.metrics = metrics
    }

    /// Runs remembered, finished or not (for tests).
    var count: Int { state.withLock { $0.count } }
    var bytes: Int { state.withLock { $0.bytes } }
    var executions: Int { state.withLock { $0.executions } }
    var lookups: Int { state.withLock { $0.lookups } }

    /// `identity` is the caller's identity in some canonical text form, "" when logged out.
    nonisolated(nonsending) func result(for key: Key, identity: String,
                                        run: @escaping @Sendable () async throws -> FunctionResult) async throws -> SharedQueryResult {
        metrics.queryCacheLookups.increment()
        let mine = Entry(key: key, identity: identity)
        switch find(mine, countingLookup: true, run: run) {
        case .finished(let result):
            return result
        case .mine(let task):
            return try await task.value
        case .otherIdentity(let task):
            if let result = try? await task.value, !result.result.readAuth { return result }
            // It read its caller's identity: this identity needs a run of its own (another caller of
            // it may have started one while we waited).
            switch find(mine, countingLookup: false, run: run, ignoringOtherIdentities: true) {
            case .finished(let result): return result
            case .mine(let task): return try await task.value
            case .started(let task): return try await finish(task, of: mine)
            case .otherIdentity: preconditionFailure("other identities were ignored")
            }
        case .started(let task):
            return try await finish(task, of: mine)
        }
    }

    private func find(_ mine: Entry, countingLookup: Bool, run: @escaping @Sendable () async throws -> FunctionResult,
                      ignoringOtherIdentities: Bool = false) -> Found {
        let (found, started) = state.withLockAfterAwait { state -> (Found, Bool) in
            if countingLookup { state.lookups += 1 }
            if let result = state.finished[mine] { return (.finished(result), false) }
            if let task = state.runs[mine] { return (.mine(task), false) }
            if !ignoringOtherIdentities, let first = state.firstIdentity[mine.key], let task = state.runs[Entry(key: mine.key, identity: first)] {
                return (.otherIdentity(task), false)
            }
            state.executions += 1
            let task = Task { [self] in
                let result = SharedQueryResult(try await run())
                keep(result, of: mine)
                return result
            }
            state.runs[mine] = task
            if state.firstIdentity[mine.key] == nil { state.firstIdentity[mine.key] = mine.identity }
            state.order.append(mine)
            state.evict(capacity: capacity, maxBytes: maxBytes)
            return (.started(task), true)
        }
        if started { metrics.queryCacheExecutions.increment() }
        return found
    }

    /// Waits for a run this caller started; a failed one is forgotten.
    nonisolated(nonsending) private func finish(_ task: Task<SharedQueryResult, Error>, of entry: Entry) async throws -> SharedQueryResult {
        do {
            return try await task.value
        } catch {
            forget(entry)
            throw error
        }
    }

    /// Hands a finished run to later callers without a task to await, and counts its size, in one
    /// go as the run's task ends (unless the run was forgotten while it ran).
    private func keep(_ result: SharedQueryResult, of entry: Entry) {
        state.withLockAfterAwait { state in
            guard state.runs[entry] != nil else { return }
            state.finished[entry] = result
            let size = result.approximateBytes
            state.sizes[entry] = size
            state.bytes += size
            state.evict(capacity: capacity, maxBytes: maxBytes)
        }
    }

    /// A failed run (a lost runner, say) is not remembered; the next caller runs it again.
    private func forget(_ entry: Entry) {
        state.withLockAfterAwait { $0.forgetFailed(entry) }
    }
}
