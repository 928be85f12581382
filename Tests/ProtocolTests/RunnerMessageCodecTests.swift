import NIOCore
import XCTest

@testable import Protocol

/// Runner messages: the fields exactly-once depends on survive the trip, and truncated bodies throw.
final class RunnerMessageCodecTests: XCTestCase {
    private func roundTrip(_ message: RunnerMessage) throws -> RunnerMessage {
        try RunnerMessage(frame: message.frame(requestID: 9))
    }

    func testARunKeepsItsKeyAndWhetherItIsARetryAndRecordsFailures() throws {
        for (isRetry, recordsFailure) in [(false, false), (true, false), (false, true), (true, true)] {
            var run = RunFunction(deployment: "abc", module: "entries.js", function: "add", kind: .mutation, args: .object(["k": .string("v")]),
                                  identity: nil, allowInternal: true, idempotencyKey: .sessionRequest(sessionId: "s", requestId: 3))
            run.isRetry = isRetry
            run.recordsFailure = recordsFailure
            XCTAssertEqual(try roundTrip(.run(run)), .run(run))
        }
    }

    func testAQueryAndItsResultCarryTheJournalBothWays() throws {
        for journal in [nil, "AQID"] as [String?] {
            var run = RunFunction(deployment: "abc", module: "pages.js", function: "of", kind: .query, args: .object([:]), snapshotTs: 42)
            run.journal = journal
            XCTAssertEqual(try roundTrip(.run(run)), .run(run))
            let result = FunctionResult(status: .success(.null), logLines: ["x"], snapshotTs: 42, readAuth: true, conflictRetries: 2, journal: journal)
            XCTAssertEqual(try roundTrip(.result(result)), .result(result))
        }
    }

    func testUnavailableIsAnAnswerOfItsOwnKind() throws {
        let message = RunnerMessage.unavailable(message: "the storage node at unix:///x did not answer within 30 seconds")
        XCTAssertEqual(try roundTrip(message), message)
        XCTAssertTrue(RunnerMessage.isAnswer(message.kind.rawValue))
        XCTAssertNotEqual(message.kind, RunnerMessage.failed(message: "x").kind)
    }

    func testEveryTruncatedRunBodyThrows() {
        let run = RunFunction(deployment: "abc", module: "m.js", function: "f", kind: .mutation, args: .null,
                              idempotencyKey: .generate())
        let frame = RunnerMessage.run(run).frame(requestID: 1)
        for length in 0..<frame.body.readableBytes {
            let cut = Frame(kind: frame.kind, requestID: 1, body: frame.body.getSlice(at: frame.body.readerIndex, length: length)!)
            XCTAssertThrowsError(try RunnerMessage(frame: cut), "a body cut at \(length) bytes")
        }
    }
}
