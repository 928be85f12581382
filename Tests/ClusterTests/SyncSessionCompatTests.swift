import XCTest

/// Sync protocol rules (docs/sync-protocol.md) checked against `converge serve` with the small fixture app
/// Tests/ClusterTests/Fixtures/sync, by raw WebSocket scripts in Tests/compat/sync_*.py and
/// Tests/compat/overload_retry.py: Removes and closes racing invalidations, long actions, Transitions
/// covering mutations, message shapes and retries after overload. Each script prints "all checks passed"
/// on success, and no converge process may crash meanwhile.
final class SyncSessionCompatTests: XCTestCase {
    static let syncApp = "Tests/ClusterTests/Fixtures/sync/convex"

    /// A query removed while an invalidation-driven Transition covering it is suspended (waiting for the
    /// latest timestamp) leaves that Transition: the coordinator keeps running and the connection stays up.
    func testRemoveRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("sync_remove_racing_invalidation.py", app: Self.syncApp)
    }

    /// A client that disconnects while invalidations of its queries are in flight has its session closed
    /// cleanly, even under a suspended Transition: the coordinator keeps running and serves new connections.
    func testDisconnectRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("sync_close_racing_invalidation.py", app: Self.syncApp)
    }

    /// Actions run concurrently with the session's other messages: a ModifyQuerySet sent while an action
    /// runs is answered before the action finishes, and a 12 s action keeps its socket, whose Pongs are
    /// read meanwhile (no "Ping timeout" close).
    func testLongActionKeepsTheSocketAndDoesNotBlockOtherMessages() throws {
        try runScript("sync_long_action.py", app: Self.syncApp, timeout: 120)
    }

    /// docs/sync-protocol.md, Settling mutations: the Python client settles a mutation on the next Transition of any kind, so every
    /// Transition sent after a MutationResponse must have ts >= the mutation's ts (read-your-writes).
    func testEveryTransitionAfterAMutationResponseCoversTheMutation() throws {
        try runScript("sync_transition_covers_mutation.py", app: Self.syncApp)
    }

    /// Sync protocol message shapes as Convex sends them: version chaining, QueryFailed errorData only for
    /// a ConvexError, identity versions, FatalError then close on a base version mismatch, no FatalError
    /// after AuthError, and a client that has seen a later timestamp still gets results.
    func testSyncProtocolShapes() throws {
        try runScript("sync_message_shapes.py", app: Self.syncApp)
    }

    /// Queries that fail because every runner is busy and the queue is full are run again by the
    /// session after a backoff, not left failed with nothing watching them.
    func testQueriesThatCouldNotRunBecauseOfOverloadRunAgainByThemselves() throws {
        try runScript("overload_retry.py", app: Self.syncApp,
                      serveArguments: ["--max-queued-calls", "2", "--runners", "1", "--runner-workers", "1"])
    }

    private func runScript(_ script: String, app: String, serveArguments: [String] = [], timeout: Double = 90) throws {
        let outcome = try CompatScript.run(script, app: app, serveArguments: serveArguments, timeout: timeout)
        let crash = outcome.serveErrors.split(separator: "\n").filter { $0.contains("Fatal error") || $0.contains("exited; restarting") }
        XCTAssertTrue(crash.isEmpty, "a converge process crashed: \(crash.joined(separator: "\n"))")
        XCTAssertEqual(outcome.status, 0, outcome.report)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }
}
