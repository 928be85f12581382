import Protocol

/// Shares query executions: one run serves every caller asking for the same function, arguments and
/// identity at the same snapshot, whether it is still running or recently finished. After a commit,
/// every subscriber of a query re-runs it at the new latest timestamp, so they meet here.
///
/// The identity is part of the key even for queries that never read it: the runner does not report
/// whether a query called `getUserIdentity`, so sharing across identities would not be safe yet.
actor QueryResultCache {
    struct Key: Hashable {
        let deployment: String
        let path: CanonicalFunctionPath
        let args: String
        let identity: String
        let snapshotTs: Timestamp
    }

    private var entries: [Key: Task<FunctionResult, Error>] = [:]
    private var order: [Key] = []
    private let capacity: Int
    private(set) var executions = 0
    private(set) var lookups = 0

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func result(for key: Key, run: @escaping @Sendable () async throws -> FunctionResult) async throws -> FunctionResult {
        lookups += 1
        if let shared = entries[key] { return try await shared.value }
        executions += 1
        let task = Task { try await run() }
        entries[key] = task
        order.append(key)
        if order.count > capacity { entries[order.removeFirst()] = nil }
        do {
            return try await task.value
        } catch {
            // A failed run (a lost runner, say) is not remembered; the next caller runs it again.
            entries[key] = nil
            throw error
        }
    }
}
