import ConvergeTestSupport
import Foundation
@testable import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// Actions: errors of the functions they call, concurrent host calls and timers, and a runner process
/// that survives what an action asks of its timers.
final class ActionTests: XCTestCase {
    let app = AppHarness()

    override func tearDown() async throws { await app.stop() }

    /// A ConvexError thrown by a mutation an action calls reaches the action as a ConvexError with its
    /// data, and, rethrown, reaches the action's caller with that data, as in Convex.
    func testConvexErrorFromRunMutationKeepsItsData() async throws {
        try await app.start()
        let isolate = FunctionIsolate(bundle: try AppHarness.bundle.get())
        let host = ActionHost(identity: nil) { _ in
            .result(FunctionResult(status: .failure(message: "Uncaught ConvexError: {\"code\":42}", data: ["code": 42.0], stack: ""), logLines: []))
        }
        let caught = await isolate.run(FunctionRequest(module: "review.js", function: "catchConvexError", kind: .action, args: .object([:])), host: host)
        let value = try app.value(caught)
        XCTAssertEqual(value["isConvexError"], true)
        XCTAssertEqual(value["data"], ["code": 42.0])
        let rethrown = await isolate.run(FunctionRequest(module: "review.js", function: "rethrowConvexError", kind: .action, args: .object([:])), host: host)
        let error = try app.error(rethrown)
        XCTAssertEqual(error.data, ["code": 42.0], "the action's caller gets no errorData: \(error.message)")
    }

    /// An action's host calls run concurrently: of two timers in a Promise.race the short one wins
    /// without waiting for the long one, and a cleared timer delays nothing.
    func testConcurrentHostCallsInAnActionDoNotWaitForEachOther() async throws {
        try await app.start()
        let isolate = FunctionIsolate(bundle: try AppHarness.bundle.get())
        let host = ActionHost(identity: nil) { _ in throw TestFailure("no callbacks here") }
        let started = ContinuousClock.now
        let outcome = await isolate.run(FunctionRequest(module: "review.js", function: "raceTimers", kind: .action,
                                                        args: ["long": 3000.0, "short": 10.0]), host: host)
        XCTAssertEqual(try app.value(outcome), "short")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1), "the long timer delayed the race")
        let cancelledStart = ContinuousClock.now
        let cancelled = await isolate.run(FunctionRequest(module: "review.js", function: "cancelledTimer", kind: .action,
                                                          args: ["ms": 3000.0]), host: host)
        XCTAssertEqual(try app.value(cancelled), "done")
        XCTAssertLessThan(ContinuousClock.now - cancelledStart, .seconds(1), "a cleared timer still blocked the action")
    }

    /// `setTimeout(f, Infinity)` in an action gets the action an answer and leaves the action runner
    /// process (and every other action it runs) alive.
    func testInfiniteTimeoutDoesNotCrashTheActionRunner() async throws {
        try await app.start()
        let coordinator = StubCoordinator()
        try await coordinator.start()
        defer { Task { await coordinator.stop() } }
        let deployment = coordinator.addBundle(try AppHarness.bundle.get())
        let runner = try RunnerProcess(coordinator: coordinator.endpoint, storage: nil, pool: "action")
        defer { runner.kill() }
        try await coordinator.waitForRunners(1)
        do {
            let answer = try await coordinator.call(RunFunction(deployment: deployment, module: "review.js", function: "infiniteTimeout",
                                                                kind: .action, args: .object([:])), pool: .action)
            guard case .result = answer else { return XCTFail("unexpected answer \(answer)") }
        } catch {
            XCTFail("the action runner died: \(error)")
        }
    }
}
