import XCTest

/// Review findings against docs/sync-protocol.md and docs/http-api.md: `converge serve` with a small fixture app
/// (Tests/ClusterTests/Fixtures/review) or examples/chat, driven by raw WebSocket/HTTP scripts and the
/// official Python client in Tests/compat/review_*.py. Each script prints "all checks passed" on success.
final class ReviewCompatTests: XCTestCase {
    static let reviewApp = "Tests/ClusterTests/Fixtures/review/convex"

    /// An invalidation-driven Transition suspended at `latestTimestamp()` while a Remove for the same
    /// query is handled: `queries[id]!` (SyncSession.swift, transition) is nil and the coordinator crashes.
    func testRemoveRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("review_remove_race.py", app: Self.reviewApp)
    }

    /// Client disconnects racing invalidations: `close()` empties `queries` under a suspended Transition.
    func testDisconnectRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("review_close_race.py", app: Self.reviewApp)
    }

    /// A 12 s action: the message loop is blocked inside `handle`, so Pongs are never read and
    /// Hummingbird's autoPing closes the socket ("Ping timeout", 1001) after ~10 s. Also: a ModifyQuerySet
    /// sent while an action runs is not answered until the action finishes (actions must run concurrently).
    func testLongActionKeepsTheSocketAndDoesNotBlockOtherMessages() throws {
        try runScript("review_slow_action.py", app: Self.reviewApp, timeout: 120)
    }

    /// docs/sync-protocol.md, Settling mutations: the Python client settles a mutation on the next Transition of any kind, so every
    /// Transition sent after a MutationResponse must have ts >= the mutation's ts (read-your-writes).
    func testEveryTransitionAfterAMutationResponseCoversTheMutation() throws {
        try runScript("review_mutation_transition.py", app: Self.reviewApp)
    }

    /// Sync protocol shapes: version chaining, QueryFailed errorData only for ConvexError, identity
    /// versions, FatalError then close on a base version mismatch, no FatalError after AuthError.
    func testSyncProtocolShapes() throws {
        try runScript("review_sync_shapes.py", app: Self.reviewApp)
    }

    /// HTTP API: `/api/run/{path}` for an action, default format by Convex-Client, status codes.
    func testHTTPAPIShapes() throws {
        try runScript("review_http.py", app: Self.reviewApp)
    }

    /// Queries that fail because every runner is busy and the queue is full are run again by the
    /// session after a backoff, not left failed with nothing watching them.
    func testQueriesThatCouldNotRunBecauseOfOverloadRunAgainByThemselves() throws {
        try runScript("overload_retry.py", app: Self.reviewApp,
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
