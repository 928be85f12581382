import ConvergeTestSupport
import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// Real `converge runner` processes dialing a coordinator stand-in, with a real storage node.
final class RunnerProcessTests: XCTestCase {
    let app = AppHarness()
    let coordinator = StubCoordinator()
    var deployment = ""

    override func setUp() async throws {
        try await app.start()
        try await coordinator.start()
        deployment = coordinator.addBundle(try AppHarness.bundle.get())
    }

    override func tearDown() async throws {
        await coordinator.stop()
        await app.stop()
    }

    private func run(_ path: String, _ args: [String: Value] = [:], kind: FunctionKind, pool: RunnerPool = .db, identity: Value? = nil) async throws -> FunctionResult {
        let parts = path.split(separator: ":").map(String.init)
        let call = RunFunction(deployment: deployment, module: parts[0] + ".js", function: parts[1], kind: kind, args: .object(args), identity: identity)
        let answer = try await coordinator.call(call, pool: pool)
        guard case .result(let result) = answer else { throw TestFailure("runner answered \(answer)") }
        return result
    }

    func testRunnerRegistersFetchesTheBundleAndRunsQueriesAndMutations() async throws {
        let runner = try RunnerProcess(coordinator: coordinator.endpoint, storage: app.node.endpoint, pool: "db")
        defer { runner.kill() }
        try await coordinator.waitForRunners(1)
        let sent = try await run("messages:send", ["body": "over the wire"], kind: .mutation)
        guard case .success(.string(let id)) = sent.status else { return XCTFail("mutation failed: \(sent.status)") }
        XCTAssertNotNil(sent.commitTs)
        let listed = try await run("messages:list", kind: .query)
        guard case .success(let list) = listed.status else { return XCTFail("query failed: \(listed.status)") }
        XCTAssertEqual(list.arrayValue.first?["_id"], .string(id))
        XCTAssertGreaterThanOrEqual(listed.snapshotTs ?? 0, sent.commitTs ?? .max)
        XCTAssertGreaterThan(listed.readSet?.count ?? 0, 0, "a query reports what it read")
        let failed = try await run("messages:failWithData", kind: .mutation)
        guard case let .failure(_, data, _) = failed.status else { return XCTFail("expected a failure") }
        XCTAssertEqual(data, ["code": 42.0])
    }

    func testActionCallsBackThroughTheCoordinatorToADatabaseRunner() async throws {
        let dbRunner = try RunnerProcess(coordinator: coordinator.endpoint, storage: app.node.endpoint, pool: "db")
        let actionRunner = try RunnerProcess(coordinator: coordinator.endpoint, storage: nil, pool: "action")
        defer { dbRunner.kill(); actionRunner.kill() }
        try await coordinator.waitForRunners(2)
        let result = try await run("actions:sendTwiceAndCount", ["body": "hi"], kind: .action, pool: .action, identity: ["name": "Ada"])
        guard case .success(let value) = result.status else { return XCTFail("action failed: \(result.status)") }
        XCTAssertEqual(value["count"], 2.0)
        XCTAssertEqual(value["who"], "Ada")
        let someID = DocumentID.generate(tableNumber: TableNumber.firstUser, nowMillis: 1).description
        let echoed = try await run("actions:echoId", ["id": .string(someID)], kind: .action, pool: .action)
        XCTAssertEqual(echoed.status, .success(.string(someID)), "v.id arguments validate in actions")
        let rejected = try await run("actions:echoId", ["id": "not-an-id"], kind: .action, pool: .action)
        guard case .failure(let message, _, _) = rejected.status else { return XCTFail("a malformed ID passed v.id") }
        XCTAssertTrue(message.contains("ArgumentValidationError"), message)
    }

    func testRunnerKilledMidMutationIsNoticedAndCommitsNothing() async throws {
        let runner = try RunnerProcess(coordinator: coordinator.endpoint, storage: app.node.endpoint, pool: "db")
        try await coordinator.waitForRunners(1)
        let coordinator = self.coordinator
        let spin = RunFunction(deployment: deployment, module: "messages.js", function: "insertThenSpin", kind: .mutation, args: .object([:]))
        let call = Task { try await coordinator.call(spin, pool: .db) }
        try await Task.sleep(for: .milliseconds(400))
        runner.kill()
        do {
            let result = try await call.value
            XCTFail("the peer got an answer from a killed runner: \(result)")
        } catch {}
        let ts = try await app.storage.latestTimestamp()
        let catalog = try await app.storage.catalog()
        let byAuthor = try XCTUnwrap(catalog.index(table: try XCTUnwrap(catalog.table(named: "messages")).number, name: "by_author"))
        let page = try await app.storage.scan(ScanRequest(ts: ts, index: byAuthor.id, interval: .prefix(["spinner"]), order: .ascending, limit: 10))
        XCTAssertTrue(page.entries.isEmpty, "no part of the interrupted mutation was committed")
    }

    func testBundleThatDoesNotMatchItsHashIsRefused() async throws {
        let runner = try RunnerProcess(coordinator: coordinator.endpoint, storage: app.node.endpoint, pool: "db")
        defer { runner.kill() }
        try await coordinator.waitForRunners(1)
        let forged = String(repeating: "ab", count: 32)
        coordinator.bundles.withLock { $0[forged] = "globalThis.evil = true" }
        let answer = try await coordinator.call(RunFunction(deployment: forged, module: "messages.js", function: "list", kind: .query, args: .object([:])), pool: .db)
        guard case .failed(let message) = answer else { return XCTFail("a forged bundle ran: \(answer)") }
        XCTAssertTrue(message.contains("arrived with hash"), message)
    }
}
