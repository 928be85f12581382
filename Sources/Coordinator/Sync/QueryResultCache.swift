import Protocol

/// Shares query executions: one run serves every caller asking for the same function and arguments
/// at the same snapshot, whether it is still running or recently finished. After a commit, every
/// subscriber of a query re-runs it at the new latest timestamp, so they meet here.
///
/// Callers of other identities share a run too, unless the query read its caller's identity: then
/// each identity gets a run of its own. A caller of another identity waits for the first run to
/// learn which case it is.
actor QueryResultCache {
    struct Key: Hashable {
        let deployment: String
        let environment: String
        let path: CanonicalFunctionPath
        let args: String
        /// Admin callers may run internal functions; others get an error from the same query.
        let allowInternal: Bool
        let snapshotTs: Timestamp
    }

    private struct Entry: Hashable {
        let key: Key
        let identity: String
    }

    private var runs: [Entry: Task<SharedQueryResult, Error>] = [:]
    /// The identity of each key's first run, which serves every identity if it did not read auth.
    private var firstIdentity: [Key: String] = [:]
    private var order: [Entry] = []
    /// What each finished run's result holds, and their sum: results are kept within `maxBytes` as
    /// well as `capacity`, so a few large ones cannot hold the coordinator's memory.
    private var sizes: [Entry: Int] = [:]
    private(set) var bytes = 0
    private let capacity: Int
    private let maxBytes: Int
    private(set) var executions = 0
    private(set) var lookups = 0
    private let metrics: CoordinatorMetrics

    init(capacity: Int = 4096, maxBytes: Int = 64 << 20, metrics: CoordinatorMetrics) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.metrics = metrics
    }

    /// Runs remembered, finished or not (for tests).
    var count: Int { order.count }

    /// `identity` is the caller's identity in some canonical text form, "" when logged out.
    func result(for key: Key, identity: String, run: @escaping @Sendable () async throws -> FunctionResult) async throws -> SharedQueryResult {
        lookups += 1
        metrics.queryCacheLookups.increment()
        let mine = Entry(key: key, identity: identity)
        if let shared = runs[mine] { return try await shared.value }
        if let first = firstIdentity[key], let shared = runs[Entry(key: key, identity: first)],
           let result = try? await shared.value, !result.result.readAuth {
            return result
        }
        // Another caller of this identity may have started a run while we waited.
        if let shared = runs[mine] { return try await shared.value }
        executions += 1
        metrics.queryCacheExecutions.increment()
        let task = Task { SharedQueryResult(try await run()) }
        runs[mine] = task
        if firstIdentity[key] == nil { firstIdentity[key] = identity }
        order.append(mine)
        evict()
        do {
            let result = try await task.value
            // Counted once it is known, unless the run was forgotten while it ran.
            if runs[mine] != nil, sizes[mine] == nil {
                let size = result.approximateBytes
                sizes[mine] = size
                bytes += size
                evict()
            }
            return result
        } catch {
            // A failed run (a lost runner, say) is not remembered; the next caller runs it again.
            forget(mine)
            order.removeAll { $0 == mine }
            throw error
        }
    }

    /// Drops the oldest runs while over either bound; the newest always stays.
    private func evict() {
        while order.count > capacity || (bytes > maxBytes && order.count > 1) {
            forget(order.removeFirst())
        }
    }

    private func forget(_ entry: Entry) {
        runs[entry] = nil
        bytes -= sizes.removeValue(forKey: entry) ?? 0
        if firstIdentity[entry.key] == entry.identity { firstIdentity[entry.key] = nil }
    }
}
