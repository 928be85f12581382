import XCTest

/// `converge serve` with the example app (or a fixture app of Tests/ClusterTests/Fixtures), driven by the official
/// `convex` Python client (PyPI, pinned) or by raw HTTP.
final class ServeCompatTests: XCTestCase {
    func testOfficialPythonHTTPClientAgainstServe() throws {
        try runCompatScript("http_client.py")
    }

    /// The HTTP API answers as Convex's does (docs/http-api.md): `/api/run/{path}` runs any kind of function,
    /// actions included; without `format` the value is clean JSON for the clients that expect it (by their
    /// Convex-Client header), encoded JSON when asked for; `/api/function` takes an admin key. Runs
    /// Tests/compat/http_api_shapes.py against the fixture app Tests/ClusterTests/Fixtures/sync; no converge
    /// process may crash meanwhile.
    func testHTTPAPIRunsEveryKindOfFunctionAndAnswersInTheClientsFormat() throws {
        let outcome = try CompatScript.run("http_api_shapes.py", app: "Tests/ClusterTests/Fixtures/sync/convex")
        let crash = outcome.serveErrors.split(separator: "\n").filter { $0.contains("Fatal error") || $0.contains("exited; restarting") }
        XCTAssertTrue(crash.isEmpty, "a converge process crashed: \(crash.joined(separator: "\n"))")
        XCTAssertEqual(outcome.status, 0, outcome.report)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }

    func testOfficialPythonSyncClientAgainstServe() throws {
        try runCompatScript("sync_client.py")
    }

    func testPythonClientReconnectsAfterTheCoordinatorIsKilled() throws {
        try runCompatScript("reconnect.py", "coordinator")
    }

    func testPythonClientReconnectsAfterTheStorageNodeIsKilled() throws {
        try runCompatScript("reconnect.py", "storage")
    }

    func testEachRoleKilledInTurnComesBackWhileTheOthersKeepRunning() throws {
        try runCompatScript("recovery.py")
    }

    func testBadInputOnEveryEntryPointLeavesOtherClientsServed() throws {
        try runCompatScript("bad_input.py")
    }

    func testVersionAndPrometheusMetrics() throws {
        try runCompatScript("metrics.py")
    }

    func testHTTPActionsOnTheSiteURL() throws {
        try runCompatScript("http_actions.py")
    }

    func testManySubscribersOfOneQueryCostOneExecutionAndOneStorageSubscriptionPerChange() throws {
        try runCompatScript("shared_subscriptions.py")
    }

    func testAWriteReRunsOnlyTheSubscriptionsThatReadIt() throws {
        try runCompatScript("disjoint.py")
    }

    func testASocketsOwnMutationsReRunOnlyTheQueriesTheyTouched() throws {
        try runCompatScript("session_queries.py")
    }

    func testALivePageKeepsItsEndAndTheClientsJournalKeepsItAcrossReconnects() throws {
        try runCompatScript("live_pages.py")
    }

    func testNestedCallsTheClockResultCapPublicURLsAndHTTPQueryRoutes() throws {
        let outcome = try CompatScript.run("server_api.py", app: "Tests/ClusterTests/Fixtures/serverapi/convex",
                                           serveArguments: ["--site-origin", "https://site.example.test"])
        XCTAssertEqual(outcome.status, 0, outcome.report)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }

    private func runCompatScript(_ script: String, _ arguments: String...) throws {
        let outcome = try CompatScript.run(script, arguments: arguments)
        XCTAssertEqual(outcome.status, 0, outcome.report)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }
}
