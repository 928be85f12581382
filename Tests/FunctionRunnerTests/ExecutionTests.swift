import ConvergeTestSupport
@testable import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// How functions run: errors, logs, determinism, validation, visibility, time and transaction limits,
/// large commits, conflict retries and context reuse.
final class ExecutionTests: XCTestCase {
    let app = AppHarness()

    override func tearDown() async throws { await app.stop() }

    func testConvexErrorKeepsItsDataAndWritesNothing() async throws {
        try await app.start()
        let error = try app.error(try await app.mutation("messages:failWithData"))
        XCTAssertEqual(error.data, ["code": 42.0])
        XCTAssertTrue(error.message.hasPrefix("Uncaught ConvexError: "), error.message)
        let list = try await app.queryValue("messages:list")
        XCTAssertEqual(list, [], "a failed mutation commits nothing")
    }

    /// What the coordinator does when a runner dies mid-mutation: the same call again under the same
    /// key, on another runner. The second run must not insert again, and must answer what the first did.
    func testAMutationRunTwiceUnderOneKeyCommitsOnceAndAnswersTheFirstResult() async throws {
        try await app.start()
        let key = IdempotencyKey.generate()
        let request = AppHarness.request("messages:sendLogged", ["body": "once"], kind: .mutation)
        let first = try await app.executor.runMutation(request, idempotencyKey: key)
        let second = try await app.executor.runMutation(request, idempotencyKey: key, isRetry: true)
        let id = try app.value(first.outcome)
        XCTAssertEqual(try app.value(second.outcome), id, "the retry answers the first insert's ID")
        XCTAssertEqual(second.outcome.logLines, first.outcome.logLines)
        XCTAssertEqual(first.outcome.logLines.count, 1)
        XCTAssertEqual(second.commitTs, first.commitTs)
        let list = try await app.queryValue("messages:list")
        XCTAssertEqual(list.arrayValue.count, 1, "inserted once")
        let other = try await app.executor.runMutation(request, idempotencyKey: .generate())
        XCTAssertNotEqual(try app.value(other.outcome), id, "another key is another mutation")
    }

    /// The first attempt committed, then its runner died; running it again would throw ("taken"). The
    /// retry must answer the first attempt's result, and a retry whose first attempt never committed runs.
    func testARetryAnswersTheCommittedAttemptInsteadOfRunningAgain() async throws {
        try await app.start()
        let key = IdempotencyKey.generate()
        let request = AppHarness.request("messages:claimOnce", ["body": "x"], kind: .mutation)
        let first = try await app.executor.runMutation(request, idempotencyKey: key)
        let retry = try await app.executor.runMutation(request, idempotencyKey: key, isRetry: true)
        XCTAssertEqual(try app.value(retry.outcome), try app.value(first.outcome))
        XCTAssertEqual(retry.commitTs, first.commitTs)
        let fresh = try await app.executor.runMutation(AppHarness.request("messages:claimOnce", ["body": "y"], kind: .mutation),
                                                       idempotencyKey: .generate(), isRetry: true)
        XCTAssertNotNil(fresh.commitTs, "nothing committed under that key before, so it ran")
        let list = try await app.queryValue("messages:list")
        XCTAssertEqual(list.arrayValue.count, 2)
    }

    /// A client's re-send of a mutation that threw must get that error, not a second run: with
    /// `recordsFailure` the error is committed under the key, and none of the writes made before the throw.
    func testAFailureKeptUnderItsKeyAnswersTheRepeatAndWritesNothing() async throws {
        try await app.start()
        let key = IdempotencyKey.sessionRequest(sessionId: UUID().uuidString, requestId: 0)
        let failing = AppHarness.request("messages:failWithData", kind: .mutation)
        let first = try await app.executor.runMutation(failing, idempotencyKey: key, recordsFailure: true)
        XCTAssertEqual(try app.error(first.outcome).data, ["code": 42.0])
        XCTAssertNil(first.commitTs, "a failure is answered without a timestamp")
        let kept = try await app.storage.receipt(key)
        XCTAssertNotNil(kept, "the failure is kept under its key")
        // Were it run, this would succeed: the answer is the kept error, with its log lines.
        let repeated = try await app.executor.runMutation(AppHarness.request("messages:send", ["body": "x"], kind: .mutation),
                                                          idempotencyKey: key, isRetry: true, recordsFailure: true)
        XCTAssertEqual(try app.error(repeated.outcome), try app.error(first.outcome))
        XCTAssertEqual(repeated.outcome.logLines, first.outcome.logLines)
        XCTAssertNil(repeated.commitTs)
        let list = try await app.queryValue("messages:list")
        XCTAssertEqual(list, [], "the insert before the throw was not committed")
        // Without `recordsFailure` (an HTTP call) nothing is kept for a failure.
        let unkept = IdempotencyKey.generate()
        _ = try await app.executor.runMutation(failing, idempotencyKey: unkept)
        let none = try await app.storage.receipt(unkept)
        XCTAssertNil(none)
    }

    func testReceiptBytesKeepEitherOutcomeWithItsLogLines() throws {
        let success = FunctionOutcome(result: .success(.object(["n": .int64(3)])), logLines: ["[LOG] 'a'", "[WARN] 'b'"])
        let failure = FunctionOutcome(result: .failure(FunctionError(message: "Uncaught ConvexError: x", data: .string("x"), stack: "at f")),
                                      logLines: ["[LOG] 'c'"])
        for outcome in [success, failure] {
            let decoded = try FunctionOutcome(receiptBytes: outcome.receiptBytes())
            XCTAssertEqual(decoded.logLines, outcome.logLines)
            switch (decoded.result, outcome.result) {
            case let (.success(a), .success(b)): XCTAssertEqual(a, b)
            case let (.failure(a), .failure(b)): XCTAssertEqual(a, b)
            default: XCTFail("\(decoded.result) is not \(outcome.result)")
            }
        }
    }

    func testThrownErrorCarriesMessageAndStackButNoData() async throws {
        try await app.start()
        let error = try app.error(try await app.query("messages:boom"))
        XCTAssertEqual(error.message, "Uncaught Error: boom")
        XCTAssertNil(error.data)
        XCTAssertTrue(error.stack.contains("boom") || error.stack.contains("bundle.js"), error.stack)
    }

    func testInfiniteLoopIsStoppedAfterAboutOneSecondAndTheIsolateStillServes() async throws {
        try await app.start()
        let started = ContinuousClock.now
        let error = try app.error(try await app.query("messages:spin"))
        let elapsed = ContinuousClock.now - started
        XCTAssertTrue(error.message.contains("timed out"), error.message)
        XCTAssertGreaterThan(elapsed, .milliseconds(900))
        XCTAssertLessThan(elapsed, .seconds(5))
        let list = try await app.queryValue("messages:list")
        XCTAssertEqual(list, [])
    }

    /// A query's CPU budget (1 s) covers all its JavaScript, work split across awaits included: every
    /// microtask drained after the outermost call counts against the same budget, and a query past it
    /// fails as timed out. The isolate then serves the next call in a fresh context.
    func testCPUBudgetCoversWorkSplitAcrossMicrotasks() async throws {
        try await app.start()
        // Calibrate: iterations for about 0.4 s of CPU per round.
        var iterations = 2_000_000.0
        for _ in 0..<6 {
            let started = ContinuousClock.now
            _ = try await app.queryValue("review:spinInMicrotasks", ["rounds": 1.0, "iterations": .float64(iterations)])
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            if seconds > 0.25 { iterations = (iterations * 0.4 / seconds).rounded(); break }
            iterations *= 4
        }
        let started = ContinuousClock.now
        let outcome = try await app.query("review:spinInMicrotasks", ["rounds": 8.0, "iterations": .float64(iterations)])
        let elapsed = ContinuousClock.now - started
        guard case .failure(let error) = outcome.result else {
            return XCTFail("about 3 s of JavaScript CPU in one query succeeded after \(elapsed)")
        }
        XCTAssertTrue(error.message.contains("timed out"), error.message)
        // The isolate serves the next call in a fresh context: a stopped run leaves nothing behind.
        let next = try await app.queryValue("messages:list")
        XCTAssertEqual(next, [])
    }

    func testQueriesAreDeterministic() async throws {
        try await app.start()
        let ts = try await app.storage.latestTimestamp()
        let request = AppHarness.request("messages:deterministic")
        let first = try app.value(try await app.executor.runQuery(request, at: ts).outcome)
        let second = try app.value(try await app.executor.runQuery(request, at: ts).outcome)
        XCTAssertEqual(first, second)
        let values = first.arrayValue
        XCTAssertNotEqual(values[0], values[1], "Math.random still produces a sequence")
        XCTAssertEqual(values[2], .float64((Double(ts) / 1e6).rounded(.down)), "Date.now() is the snapshot's time, in whole milliseconds")
        XCTAssertEqual(values[3], values[2], "new Date() too")
    }

    /// Every mutation call gets its own `Math.random` seed, even with the same arguments: only a query's
    /// seed follows from what it is (deployment, function, arguments and snapshot).
    func testMutationsWithTheSameArgumentsGetDifferentSeeds() async throws {
        let call = RunFunction(deployment: "d", module: "review.js", function: "randomToken", kind: .mutation, args: .object([:]))
        let again = call
        XCTAssertNotEqual(call.seed, again.seed, "two separate mutation calls share one Math.random sequence")
    }

    func testConsoleOutputBecomesLogLines() async throws {
        try await app.start()
        let outcome = try await app.query("messages:chatty")
        XCTAssertEqual(outcome.logLines, ["[LOG] 'hello' 1 { a: [ 1, 'x' ] }", "[WARN] 'careful'", "[ERROR] 'bad'"])
    }

    /// Every console argument is formatted as Convex's object-inspect formats it, top-level strings
    /// included: `console.log("hello")` logs `[LOG] 'hello'` (docs/limits.md, log lines).
    func testConsoleQuotesTopLevelStringsLikeConvex() async throws {
        try await app.start()
        let outcome = try await app.query("review:logString")
        XCTAssertEqual(outcome.logLines, ["[LOG] 'hello'"])
    }

    /// `console.log` of a circular object logs it and the function goes on, as in Convex (object-inspect
    /// prints `[Circular]`).
    func testConsoleLogOfCircularObjectDoesNotThrow() async throws {
        try await app.start()
        let outcome = try await app.query("review:logCircular")
        XCTAssertEqual(try app.value(outcome), "logged")
    }

    func testArgumentAndReturnValidationNameWhatIsWrong() async throws {
        try await app.start()
        let badArgs = try app.error(try await app.mutation("messages:send", ["body": 5.0]))
        XCTAssertTrue(badArgs.message.contains("ArgumentValidationError"), badArgs.message)
        XCTAssertTrue(badArgs.message.contains("Path: .body"), badArgs.message)
        let extra = try app.error(try await app.mutation("messages:send", ["body": "x", "color": "red"]))
        XCTAssertTrue(extra.message.contains("extra field `color`"), extra.message)
        let missing = try app.error(try await app.query("messages:byAuthor"))
        XCTAssertTrue(missing.message.contains("missing the required field `author`"), missing.message)
        let badReturn = try app.error(try await app.query("messages:wrongReturn"))
        XCTAssertTrue(badReturn.message.contains("ReturnsValidationError"), badReturn.message)
    }

    /// `v.object` argument validation rejects every extra field, those named like an Object.prototype
    /// member (`toString`) included.
    func testExtraArgumentNamedLikeAPrototypeMemberIsRejected() async throws {
        try await app.start()
        let outcome = try await app.query("review:argsOnly", ["name": "x", "toString": "y"])
        guard case .failure(let error) = outcome.result else {
            return XCTFail("an extra field `toString` passed argument validation: \(outcome.result)")
        }
        XCTAssertTrue(error.message.contains("extra field `toString`"), error.message)
    }

    func testInternalFunctionsAreHiddenFromClients() async throws {
        try await app.start()
        let hidden = try app.error(try await app.query("messages:secret"))
        XCTAssertTrue(hidden.message.contains("Could not find public function for 'messages:secret'"), hidden.message)
        let fromInside = try app.value(try await app.query("messages:secret", allowInternal: true))
        XCTAssertEqual(fromInside, "internal")
    }

    func testUnknownFunctionAndWrongKindAreFunctionErrors() async throws {
        try await app.start()
        let unknown = try app.error(try await app.query("messages:nope"))
        XCTAssertTrue(unknown.message.contains("Could not find public function for 'messages:nope'"), unknown.message)
        let wrongKind = try app.error(try await app.mutation("messages:list"))
        XCTAssertEqual(wrongKind.message, "Trying to execute messages.js:list as Mutation, but it is defined as Query.")
    }

    func testQueryCannotWrite() async throws {
        try await app.start()
        // A query's ctx.db has no insert at all, as in Convex.
        let error = try app.error(try await app.executor.runQuery(AppHarness.request("messages:send", ["body": "x"], kind: .query)).outcome)
        XCTAssertTrue(error.message.contains("defined as Mutation"), error.message)
    }

    func testTransactionLimitsProduceTheirErrors() async throws {
        var limits = TransactionLimits()
        limits.maxDocumentsWritten = 5
        limits.maxDocumentsRead = 8
        try await app.start(transactionLimits: limits)
        let tooManyWrites = try app.error(try await app.mutation("messages:insertMany", ["count": 6.0]))
        XCTAssertTrue(tooManyWrites.message.contains("Too many documents written"), tooManyWrites.message)
        _ = try await app.mutationValue("messages:insertMany", ["count": 5.0])
        _ = try await app.mutationValue("messages:insertMany", ["count": 5.0])
        let tooManyReads = try app.error(try await app.query("messages:readAll"))
        XCTAssertTrue(tooManyReads.message.contains("Too many documents read"), tooManyReads.message)
    }

    /// `first()` reads one document, and only that one counts against the documents-read limit; a page
    /// of `paginate` counts only the rows it returns.
    func testFirstReadsOneDocumentNotAPageOfThem() async throws {
        var limits = TransactionLimits()
        limits.maxDocumentsRead = 5
        try await app.start(transactionLimits: limits)
        _ = try await app.mutationValue("messages:insertMany", ["count": 5.0])
        _ = try await app.mutationValue("messages:insertMany", ["count": 5.0])
        let first = try await app.queryValue("review:firstOnly")
        XCTAssertEqual(first, "m0")
        let paged = try await app.queryValue("review:paginateSmall", ["numItems": 2.0])
        XCTAssertEqual(paged, 2.0)
    }

    func testByteAndIntervalLimitsProduceTheirErrors() async throws {
        var limits = TransactionLimits()
        limits.maxBytesWritten = 10_000
        limits.maxBytesRead = 3_000
        limits.maxReadIntervals = 1
        try await app.start(transactionLimits: limits)
        let tooBig = try app.error(try await app.mutation("messages:writeBig", ["size": 20_000.0]))
        XCTAssertTrue(tooBig.message.contains("Too many bytes written"), tooBig.message)
        let a = try await app.mutationValue("messages:writeBig", ["size": 2_000.0])
        let b = try await app.mutationValue("messages:writeBig", ["size": 2_000.0])
        let tooManyIntervalsOrBytes = try app.error(try await app.query("messages:readTwoDocuments", ["a": a, "b": b]))
        XCTAssertTrue(tooManyIntervalsOrBytes.message.contains("Too many reads"), tooManyIntervalsOrBytes.message)
        var bytesOnly = TransactionLimits()
        bytesOnly.maxBytesRead = 3_000
        let executor = FunctionExecutor(isolate: app.executor.isolate, storage: app.storage, seal: AppHarness.seal, limits: bytesOnly)
        let tooManyBytes = try app.error(try await executor.runQuery(AppHarness.request("messages:readTwoDocuments", ["a": a, "b": b])).outcome)
        XCTAssertTrue(tooManyBytes.message.contains("Too many bytes read"), tooManyBytes.message)
    }

    /// A transaction of thousands of inserts commits, and every document is there afterwards. (How long
    /// the commit takes is for the benchmarks to measure, not for this test.)
    func testATransactionOfThousandsOfInsertsCommitsThemAll() async throws {
        try await app.start()
        var transaction = try await StorageTransaction.begin(app.storage)
        for i in 0..<3000 { try transaction.insert(into: "messages", ["body": .string("m\(i)"), "author": "bulk"]) }
        guard case .committed = try await transaction.commit() else { return XCTFail("3,000 inserts did not commit") }
        let count = try await app.queryValue("messages:readAll")
        XCTAssertEqual(count, 3000.0)
    }

    func testActionWallClockLimitStopsAnActionThatNeverFinishes() async throws {
        var limits = ExecutionLimits()
        limits.actionSeconds = 1
        try await app.start()
        let isolate = FunctionIsolate(bundle: try AppHarness.bundle.get(), limits: limits)
        let host = ActionHost(identity: nil) { _ in throw TestFailure("no callbacks here") }
        let started = ContinuousClock.now
        let outcome = await isolate.run(FunctionRequest(module: "slow.js", function: "sleepForever", kind: .action, args: .object([:])), host: host)
        let error = try app.error(outcome)
        XCTAssertTrue(error.message.contains("timed out"), error.message)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }

    /// An action's wall-clock limit stops it while it waits, not only before its next host call: a 4 s
    /// sleep under a 1 s limit ends well before the sleep would, as timed out.
    func testActionWallClockLimitInterruptsALongWait() async throws {
        var limits = ExecutionLimits()
        limits.actionSeconds = 1
        try await app.start()
        let isolate = FunctionIsolate(bundle: try AppHarness.bundle.get(), limits: limits)
        let host = ActionHost(identity: nil) { _ in throw TestFailure("no callbacks here") }
        let started = ContinuousClock.now
        let outcome = await isolate.run(FunctionRequest(module: "review.js", function: "sleepOnce", kind: .action, args: ["ms": 4000.0]), host: host)
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .milliseconds(2500), "the action ran \(elapsed) past its 1 s limit")
        guard case .failure(let error) = outcome.result else { return XCTFail("an action past its limit succeeded: \(outcome.result)") }
        XCTAssertTrue(error.message.contains("timed out"), error.message)
    }

    /// With Convex's 4 retries, 20 increments of one counter at once all commit: the storage node
    /// lets the oldest transaction that conflicted go first (`ContentionQueue`).
    func testConcurrentIncrementsOfOneCounterAllCommitWithinFourRetries() async throws {
        try await app.start()
        _ = try await app.mutationValue("counters:increment", ["name": "hits"])
        let executor: FunctionExecutor = app.executor
        let results = try await withThrowingTaskGroup(of: FunctionOutcome.self) { group in
            for _ in 0..<20 {
                group.addTask { try await executor.runMutation(AppHarness.request("counters:increment", ["name": "hits"], kind: .mutation)).outcome }
            }
            return try await group.reduce(into: [FunctionOutcome]()) { $0.append($1) }
        }
        let values = results.compactMap { try? $0.result.get() }
        for case .failure(let error) in results.map(\.result) { print("FAILED:", error) }
        XCTAssertEqual(values.count, 20, "every increment committed")
        XCTAssertEqual(Set(values).count, 20, "no two increments saw the same count")
        let final = try await app.queryValue("counters:get", ["name": "hits"])
        XCTAssertEqual(final, .int64(21))
    }

    func testContextsAreReusedAfterSuccessAndDiscardedAfterErrors() async throws {
        try await app.start()
        _ = try await app.queryValue("messages:list")
        let pooled = await app.executor.isolate.pooledContexts
        XCTAssertEqual(pooled, 1)
        _ = try app.error(try await app.query("messages:boom"))
        let afterError = await app.executor.isolate.pooledContexts
        XCTAssertEqual(afterError, 0, "the context that threw is thrown away")
    }
}
