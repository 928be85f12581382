import ConvergeTestSupport
@testable import Coordinator
import Foundation
import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// The coordinator's runner pool with real runner processes: registration, dispatch by pool,
/// action callbacks, and what happens when runners are missing or die.
final class CoordinatorDispatchTests: XCTestCase {
    let node = StorageProcess()
    var storage: StorageClient!
    let coordinator = Coordinator(instanceSecret: StorageProcess.secret, waitForRunners: .milliseconds(200))
    var endpoint: Endpoint!

    override func setUp() async throws {
        try node.start()
        storage = try await node.connect()
        endpoint = try await Self.prepare(coordinator, storage: node.endpoint)
    }

    /// Connects a coordinator to the storage node and opens it to runners; returns where they dial.
    private static func prepare(_ coordinator: Coordinator, storage: Endpoint) async throws -> Endpoint {
        try await coordinator.connectStorage(storage)
        let address = try await coordinator.listenForRunners(on: .tcp(host: "127.0.0.1", port: 0))
        return .tcp(host: "127.0.0.1", port: try XCTUnwrap(address?.port))
    }

    /// Pushes the fixture app; a runner analyzes it, so call once one is connected.
    @discardableResult
    private func deploy(to coordinator: Coordinator? = nil) async throws -> PushReport {
        try await (coordinator ?? self.coordinator).push(bundle: try FixtureApp.bundle.get())
    }

    override func tearDown() async throws {
        await coordinator.shutdown()
        await storage?.close()
        node.stop()
        node.removeData()
    }

    private func waitForRunners(_ pool: RunnerPool, _ count: Int) async throws {
        for _ in 0..<500 {
            if await coordinator.runnerCount(pool) >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("runners did not register")
    }

    private func path(_ text: String) throws -> CanonicalFunctionPath {
        try XCTUnwrap(CanonicalFunctionPath(text))
    }

    /// Without its storage node the coordinator answers "unavailable" (HTTP 503, which clients retry),
    /// never "no such table"; when the node is back at its address it is used again, with no restart.
    func testALostStorageNodeIsUnavailableNotMissingDataAndIsReconnectedTo() async throws {
        _ = try await storage.createTable("things")
        let before = try await coordinator.tableNames()
        XCTAssertTrue(before.contains("things"), "\(before)")
        let address = try XCTUnwrap(node.endpoint)
        node.kill()
        do {
            _ = try await coordinator.documents(of: "things", limit: 1, ascending: true)
            XCTFail("read documents without a storage node")
        } catch let error as CoordinatorError {
            guard case .storageUnavailable = error else { return XCTFail("\(error)") }
            XCTAssertEqual(APIError(error).status, .serviceUnavailable)
        }
        try node.start(listeningOn: address)
        let after = try await coordinator.tableNames()
        XCTAssertEqual(after, before)
    }

    func testCallsGoToTheRightPoolAndActionsCallBackThroughTheCoordinator() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        let actions = try RunnerProcess(coordinator: endpoint, storage: nil, pool: "action")
        defer { db.kill(); actions.kill() }
        try await waitForRunners(.db, 1)
        try await waitForRunners(.action, 1)
        try await deploy()
        let sent = try await coordinator.run(try path("messages:send"), kind: .mutation, args: ["body": "hi"])
        XCTAssertNotNil(sent.commitTs)
        let listed = try await coordinator.run(try path("messages:list"), kind: .query, args: [:])
        guard case .success(let list) = listed.status else { return XCTFail("\(listed.status)") }
        XCTAssertEqual(list.arrayValue.count, 1)
        let viaAction = try await coordinator.run(try path("actions:callsInternal"), kind: .action, args: [:])
        XCTAssertEqual(viaAction.status, .success("internal"), "an action may call internal functions")
        let direct = try await coordinator.run(try path("messages:secret"), kind: .query, args: [:])
        guard case .failure(let message, _, _) = direct.status else { return XCTFail("a client reached an internal function") }
        XCTAssertTrue(message.contains("Could not find public function"), message)
    }

    func testCallWithoutARunnerOfItsPoolFailsClearly() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        try await waitForRunners(.db, 1)
        try await deploy()
        db.kill()
        for _ in 0..<500 where await coordinator.runnerCount(.db) > 0 { try await Task.sleep(for: .milliseconds(20)) }
        do {
            _ = try await coordinator.run(try path("messages:list"), kind: .query, args: [:])
            XCTFail("ran without runners")
        } catch let error as CoordinatorError {
            XCTAssertEqual(error, .noRunners(.db))
        }
    }

    func testQueryWhoseRunnerDiesIsRetriedOnAnother() async throws {
        let first = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        try await waitForRunners(.db, 1)
        let second = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { second.kill() }
        try await waitForRunners(.db, 2)
        try await deploy()
        // Both runners busy with spinning queries; kill the first while they spin.
        let coordinator = self.coordinator
        let spin = try path("messages:spin")
        let calls = (0..<2).map { _ in Task { try await coordinator.run(spin, kind: .query, args: [:]) } }
        try await Task.sleep(for: .milliseconds(300))
        first.kill()
        for call in calls {
            let result = try await call.value
            guard case .failure(let message, _, _) = result.status else { return XCTFail("spin returned a value") }
            XCTAssertTrue(message.contains("timed out"), "the query ran to its own timeout on the surviving runner: \(message)")
        }
        let remaining = await coordinator.runnerCount(.db)
        XCTAssertEqual(remaining, 1)
    }

    /// Clients keep sending mutations while one of two runners is SIGKILLed: every call succeeds (the
    /// coordinator retries what the dead runner held, under each mutation's idempotency key) and every
    /// mutation is applied exactly once.
    func testMutationsSurviveARunnerKilledUnderLoadAndApplyOnce() async throws {
        let doomed = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        let survivor = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { doomed.kill(); survivor.kill() }
        try await waitForRunners(.db, 2)
        try await deploy()
        let coordinator = self.coordinator
        let send = try path("messages:send")
        let clients = 8, perClient = 40
        let load = Task {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        var failures: [String] = []
                        for i in 0..<perClient {
                            let result = try await coordinator.run(send, kind: .mutation, args: ["body": .string("\(client)-\(i)")])
                            if case .failure(let message, _, _) = result.status { failures.append(message) }
                        }
                        return failures
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
        }
        try await Task.sleep(for: .milliseconds(150))
        doomed.kill()
        let failures = try await load.value
        XCTAssertEqual(failures, [], "no mutation failed")
        let retries = await coordinator.runnerRetries()
        XCTAssertGreaterThan(retries, 0, "the kill landed while the runner held calls")
        let listed = try await coordinator.run(try path("messages:list"), kind: .query, args: [:])
        guard case .success(let list) = listed.status else { return XCTFail("\(listed.status)") }
        let bodies = list.arrayValue.compactMap { $0["body"]?.stringValue }
        XCTAssertEqual(bodies.count, clients * perClient, "no mutation lost or applied twice")
        XCTAssertEqual(Set(bodies).count, clients * perClient)
    }

    func testARestartedCoordinatorServesTheLastPushedDeployment() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("converge-deployment-\(UUID().uuidString).js")
        defer { try? FileManager.default.removeItem(at: file) }
        let first = Coordinator(instanceSecret: StorageProcess.secret, deploymentFile: file)
        defer { Task { await first.shutdown() } }
        let runnersAt = try await Self.prepare(first, storage: node.endpoint)
        let db = try RunnerProcess(coordinator: runnersAt, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        for _ in 0..<500 where await first.runnerCount(.db) < 1 { try await Task.sleep(for: .milliseconds(20)) }
        let pushed = try await deploy(to: first)
        let restarted = Coordinator(instanceSecret: StorageProcess.secret, deploymentFile: file)
        let live = await restarted.liveDeploymentHash()
        XCTAssertEqual(live, pushed.hash)
        let fresh = await Coordinator(instanceSecret: StorageProcess.secret).liveDeploymentHash()
        XCTAssertNil(fresh, "without a file nothing survives")
    }

    func testOneExecutionServesEveryCallerOfAQueryAtASnapshot() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        try await waitForRunners(.db, 1)
        try await deploy()
        _ = try await coordinator.run(try path("messages:send"), kind: .mutation, args: ["body": "shared"])
        let ts = try await storage.latestTimestamp()
        let before = coordinator.queryCacheStatistics()
        let coordinator = self.coordinator
        let list = try path("messages:list")
        let results = try await withThrowingTaskGroup(of: FunctionResult.self) { group in
            for _ in 0..<50 { group.addTask { try await coordinator.run(list, kind: .query, args: [:], snapshotTs: ts) } }
            return try await group.reduce(into: [FunctionResult]()) { $0.append($1) }
        }
        let after = coordinator.queryCacheStatistics()
        XCTAssertEqual(Set(results.map(\.status)).count, 1, "every caller got the same result")
        XCTAssertEqual(after.lookups - before.lookups, 50)
        XCTAssertEqual(after.executions - before.executions, 1, "one execution for 50 callers at one snapshot")
        let other = try await coordinator.run(list, kind: .query, args: ["x": 1.0], snapshotTs: ts)
        XCTAssertNotNil(other.status)
        let different = coordinator.queryCacheStatistics()
        XCTAssertEqual(different.executions - after.executions, 1, "other arguments are another execution")
    }

    func testQueriesThatNeverReadAuthAreSharedAcrossIdentitiesAndOthersAreNot() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        try await waitForRunners(.db, 1)
        try await deploy()
        let ts = try await storage.latestTimestamp()
        let identities: [Value?] = [nil, ["name": "ada", "tokenIdentifier": "a"], ["name": "bob", "tokenIdentifier": "b"]]
        let coordinator = self.coordinator
        let list = try path("messages:list"), whoami = try path("messages:whoami")

        let before = coordinator.queryCacheStatistics()
        for identity in identities { _ = try await coordinator.run(list, kind: .query, args: [:], identity: identity, snapshotTs: ts) }
        let afterList = coordinator.queryCacheStatistics()
        XCTAssertEqual(afterList.executions - before.executions, 1, "a query that never read auth runs once for every identity")

        var names: [Value] = []
        for identity in identities + identities {
            let result = try await coordinator.run(whoami, kind: .query, args: [:], identity: identity, snapshotTs: ts)
            guard case .success(let name) = result.status else { return XCTFail("\(result.status)") }
            names.append(name)
        }
        XCTAssertEqual(names, [.null, "ada", "bob", .null, "ada", "bob"], "each caller sees its own identity")
        let afterWhoami = coordinator.queryCacheStatistics()
        XCTAssertEqual(afterWhoami.executions - afterList.executions, 3, "one run per identity, shared by its repeat")
    }

    /// One runner with room for eight calls (two workers of four contexts) and a queue of three: of
    /// sixteen slow calls at once, five fail at once as overloaded instead of waiting without bound,
    /// and the other eleven run.
    func testCallsBeyondTheQueueFailAsOverloaded() async throws {
        let bounded = Coordinator(instanceSecret: StorageProcess.secret, maxQueuedCalls: 3)
        defer { Task { await bounded.shutdown() } }
        let runnersAt = try await Self.prepare(bounded, storage: node.endpoint)
        let db = try RunnerProcess(coordinator: runnersAt, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        for _ in 0..<500 where await bounded.runnerCount(.db) < 1 { try await Task.sleep(for: .milliseconds(20)) }
        try await deploy(to: bounded)
        let spin = try path("messages:spin")
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do {
                        _ = try await bounded.run(spin, kind: .query, args: [:])
                        return "ran"
                    } catch let error as CoordinatorError where error == .overloaded {
                        return "overloaded"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        XCTAssertEqual(outcomes, ["ran": 11, "overloaded": 5])
    }

    /// A push whose bundle fails to load is rejected and leaves nothing behind; the live one stays.
    func testARejectedPushKeepsNoBundle() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        try await waitForRunners(.db, 1)
        try await deploy()
        let broken = "throw new Error('broken on purpose');"
        do {
            try await coordinator.push(bundle: broken)
            XCTFail("a bundle that throws went live")
        } catch CoordinatorError.pushRejected(let message) {
            XCTAssertTrue(message.contains("broken on purpose"), message)
        }
        let kept = await coordinator.deployments.bundle(hash: Deployment(bundle: broken).hash)
        XCTAssertNil(kept, "the rejected bundle is still held")
        let current = await coordinator.deployments.live
        let live = try XCTUnwrap(current)
        let liveBundle = await coordinator.deployments.bundle(hash: live.hash)
        XCTAssertNotNil(liveBundle)
    }

    /// Each freed slot goes to one queued call: a long queue drains completely, in order of arrival.
    func testALongQueueOfCallsDrainsThroughOneRunner() async throws {
        let db = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db")
        defer { db.kill() }
        try await waitForRunners(.db, 1)
        try await deploy()
        let coordinator = self.coordinator
        let list = try path("messages:list")
        let ran = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<120 { group.addTask { _ = try await coordinator.run(list, kind: .query, args: [:]); return 1 } }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(ran, 120)
    }

    func testLoadSpreadsOverTwoRunners() async throws {
        let first = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db", name: "first")
        let second = try RunnerProcess(coordinator: endpoint, storage: node.endpoint, pool: "db", name: "second")
        defer { first.kill(); second.kill() }
        try await waitForRunners(.db, 2)
        try await deploy()
        let coordinator = self.coordinator
        let list = try path("messages:list")
        let before = await coordinator.runnerCallCounts(.db) // the push's schema check made calls too
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 { group.addTask { _ = try await coordinator.run(list, kind: .query, args: [:]) } }
            try await group.waitForAll()
        }
        let counts = await coordinator.runnerCallCounts(.db).merging(before) { $0 - $1 }
        XCTAssertEqual(counts.values.reduce(0, +), 40)
        XCTAssertGreaterThanOrEqual(counts["first"] ?? 0, 10, "\(counts)")
        XCTAssertGreaterThanOrEqual(counts["second"] ?? 0, 10, "\(counts)")
    }
}
