import Protocol

/// A sync-protocol mutation's key (`IdempotencyKey.sessionRequest`), and whether the client may be
/// re-sending it (it reconnected): then the runner looks for its outcome before running it.
struct KeyedMutation: Sendable {
    let key: IdempotencyKey
    let mayBeRepeat: Bool
}

extension Coordinator {
    /// Runs a sync-protocol mutation at most once per key: joined to a run of the same key in flight
    /// here, else run under the key, which commits the mutation's writes, or the error it threw,
    /// together with its outcome. A repeat gets that outcome and its commit timestamp back.
    func runSessionMutation(_ path: CanonicalFunctionPath, args: Value, identity: Value?, allowInternal: Bool,
                            _ keyed: KeyedMutation) async throws -> FunctionResult {
        try await sessionMutations.run(keyed.key) {
            try await runShared(path, kind: .mutation, args: args, identity: identity, allowInternal: allowInternal, keyed: keyed).result
        }
    }
}
