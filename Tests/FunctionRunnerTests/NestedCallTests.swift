import ConvergeTestSupport
@testable import FunctionRunner
import Protocol
import XCTest

/// `ctx.runQuery` and `ctx.runMutation` inside queries and mutations, and their clock: the nested
/// function runs in the caller's transaction with its own validation, a nested mutation that throws
/// undoes only its own writes, and `Date.now()` is whole milliseconds, frozen for the run.
final class NestedCallTests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws { try await app.start() }
    override func tearDown() async throws { await app.stop() }

    private func count(_ author: String) async throws -> Int {
        try await app.queryValue("messages:byAuthor", ["author": .string(author)]).arrayValue.count
    }

    func testANestedMutationSeesTheCallersWritesAndAFailedOneUndoesOnlyItsOwn() async throws {
        let result = try await app.mutationValue("nested:outer", ["author": "n"])
        XCTAssertEqual(result["afterOuter"], 1.0, "the nested query sees the caller's insert")
        XCTAssertEqual(result["inserted"], ["inserted": 2.0])
        XCTAssertEqual(result["afterTwo"], 3.0, "and the nested mutation's")
        XCTAssertEqual(result["caught"], ["isConvexError": true, "data": ["code": "refused"]], "a ConvexError reaches the caller with its data")
        XCTAssertEqual(result["afterFailure"], 3.0, "what the failed nested mutation wrote is undone")
        let committed = try await count("n")
        XCTAssertEqual(committed, 3, "the caller's writes and the successful nested mutation's commit together")
    }

    func testAnUncaughtNestedFailureFailsTheWholeMutation() async throws {
        let error = try app.error(try await app.mutation("nested:outerFails", ["author": "f"]))
        XCTAssertNotNil(error.data)
        let committed = try await count("f")
        XCTAssertEqual(committed, 0)
    }

    func testAQueryCallsAQueryAndHasNoRunMutation() async throws {
        _ = try await app.mutationValue("messages:send", ["body": "x", "author": "q"])
        let result = try await app.queryValue("nested:queryCallsQuery", ["author": "q"])
        XCTAssertEqual(result, ["count": 1.0, "hasRunMutation": "undefined"])
    }

    func testNestedCallsAreValidatedLikeCallsFromClients() async throws {
        let expectations: [(String, String)] = [
            ("args", "ArgumentValidationError"),
            ("kind", "as Query, but it is defined as Mutation"),
            ("returns", "ReturnsValidationError"),
            ("missing", "Could not find function for 'nested:nothing'"),
        ]
        for (what, expected) in expectations {
            let message = try await app.queryValue("nested:misuse", ["what": .string(what)])
            XCTAssertTrue(message.stringValue?.contains(expected) == true, "\(what): \(message)")
        }
    }

    func testTheClockOfQueriesAndMutationsIsWholeMillisecondsAndFrozen() async throws {
        let expected: Value = ["integral": true, "frozen": true, "sameAsDate": true, "bigint": true, "dateName": "Date"]
        let inQuery = try await app.queryValue("nested:clockInQuery")
        XCTAssertEqual(inQuery, expected)
        let inMutation = try await app.mutationValue("nested:clockInMutation")
        XCTAssertEqual(inMutation, expected)
    }
}

/// A function's return value is capped (16 MiB by default, as Convex caps it): past that the call
/// fails with Convex's message, and a mutation's writes do not commit. The tests lower the cap to
/// 1 MiB, so that they do not spend seconds building results in a debug build.
final class ResultLimitTests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws {
        var limits = ExecutionLimits()
        limits.maxResultBytes = 1 << 20
        try await app.start(limits: limits)
    }

    override func tearDown() async throws { await app.stop() }

    func testAResultOverTheLimitFailsTheCall() async throws {
        let under = try await app.queryValue("limits:bigResult", ["kib": 1000.0])
        XCTAssertEqual(under.stringValue?.utf8.count, 1000 << 10)
        let error = try app.error(try await app.query("limits:bigResult", ["kib": 1536.0]))
        XCTAssertEqual(error.message, "Function limits:bigResult return value is too large (actual: 1.5 MiB, limit: 1 MiB)")
    }

    func testAMutationWhoseResultIsTooLargeCommitsNothing() async throws {
        let error = try app.error(try await app.mutation("limits:insertThenReturnBig"))
        XCTAssertTrue(error.message.contains("return value is too large"), error.message)
        let stored = try await app.queryValue("messages:byAuthor", ["author": "big"])
        XCTAssertEqual(stored, [])
    }

    func testTheDefaultLimitIsSixteenMebibytes() async throws {
        let app = AppHarness()
        try await app.start()
        let outcome = try await app.query("limits:bigResult", ["kib": 17_408.0])
        await app.stop()
        let error = try app.error(outcome)
        XCTAssertEqual(error.message, "Function limits:bigResult return value is too large (actual: 17 MiB, limit: 16 MiB)")
    }

    func testTheDefaultLimitIsConvexsAndSizesAreWrittenInBinaryUnits() {
        XCTAssertEqual(ExecutionLimits().maxResultBytes, 16 << 20)
        XCTAssertEqual(FunctionIsolate.binarySize(16 << 20), "16 MiB")
        XCTAssertEqual(FunctionIsolate.binarySize(17 << 20 | 1 << 19), "17.5 MiB")
        XCTAssertEqual(FunctionIsolate.binarySize(512), "512 B")
    }
}

/// A function the watchdog stopped leaves its isolate able to run the next call.
final class WatchdogTests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws { try await app.start() }
    override func tearDown() async throws { await app.stop() }

    func testAfterTheWatchdogStopsAFunctionHoldingMemoryTheNextCallRuns() async throws {
        let error = try app.error(try await app.query("limits:spinHoldingMemory", ["mib": 17.0]))
        XCTAssertTrue(error.message.contains("timed out"), error.message)
        let next = try await app.queryValue("messages:list")
        XCTAssertEqual(next, [])
    }

    func testAfterTheWatchdogStopsAFunctionTheNextCallRuns() async throws {
        let error = try app.error(try await app.query("limits:spinForever"))
        XCTAssertTrue(error.message.contains("timed out"), error.message)
        let next = try await app.queryValue("messages:list")
        XCTAssertEqual(next, [])
    }
}

/// Error texts as Convex writes them.
final class ErrorTextTests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws { try await app.start() }
    override func tearDown() async throws { await app.stop() }

    func testAConvexErrorsMessageWritesBigintsAsTheConvexPackageDoes() async throws {
        let error = try app.error(try await app.query("nested:bigintError"))
        XCTAssertTrue(error.message.contains(#"{"n":"2n","list":["1n","x"]}"#), error.message)
        XCTAssertEqual(error.data, ["n": .int64(2), "list": [.int64(1), "x"]])
    }

    func testADocumentNestedTooDeeplyNamesItsDepthAndTheLimit() async throws {
        let error = try app.error(try await app.mutation("nested:tooNested"))
        XCTAssertTrue(error.message.contains("Document is too nested (nested 21 levels deep > maximum nesting 16)"), error.message)
    }
}
