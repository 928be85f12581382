import Protocol

extension Coordinator {
    /// Runs a sync-protocol mutation at most once per key (`IdempotencyKey.sessionRequest`): joined to
    /// a run of the same key in flight here, else run under the key, which commits the mutation's
    /// writes, or the error it threw, together with its outcome. A repeat gets that outcome and its
    /// commit timestamp back. `mayBeRepeat` says an earlier run may have committed (the client
    /// reconnected), so the runner looks for its outcome before running.
    func runSessionMutation(_ path: CanonicalFunctionPath, args: Value, identity: Value?, allowInternal: Bool,
                            key: IdempotencyKey, mayBeRepeat: Bool) async throws -> FunctionResult {
        try await sessionMutations.run(key) {
            let result = try await measured(path.displayName, kind: FunctionKind.mutation.rawValue, status: \.status) {
                guard let target = deployments.liveCallTarget else { throw CoordinatorError.noDeployment }
                var call = RunFunction(deployment: target.deployment, module: path.module, function: path.function, kind: .mutation,
                                       args: args, identity: identity, allowInternal: allowInternal, idempotencyKey: key)
                call.environment = target.environment
                call.isRetry = mayBeRepeat
                call.recordsFailure = true
                return try await execute(call, as: path.displayName, pool: .db)
            }
            if result.conflictRetries > 0 { metrics.conflictRetries.increment(by: Int64(result.conflictRetries)) }
            return result
        }
    }
}
