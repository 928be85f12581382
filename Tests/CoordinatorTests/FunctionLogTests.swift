@testable import Coordinator
import XCTest

/// The coordinator's log of executions: a bounded ring read by sequence number, with long polling.
final class FunctionLogTests: XCTestCase {
    private func record(_ log: FunctionLog, _ name: String) {
        log.record(function: name, kind: "query", duration: .milliseconds(1), outcome: "success", error: nil, logLines: [])
    }

    func testEntriesAfterASequenceAreTheOnesAfterItOldestFirst() async {
        let log = FunctionLog(maxEntries: 3)
        for name in ["a", "b", "c", "d", "e"] { record(log, name) }
        XCTAssertEqual(log.latestSequence, 5)
        let all = await log.entries(after: 0, wait: .zero)
        XCTAssertEqual(all.map(\.function), ["c", "d", "e"], "the ring keeps the newest three")
        let afterThree = await log.entries(after: 3, wait: .zero)
        XCTAssertEqual(afterThree.map(\.sequence), [4, 5])
        let none = await log.entries(after: 5, wait: .zero)
        XCTAssertEqual(none.count, 0)
    }

    func testALongPollReturnsWhenTheNextEntryArrives() async throws {
        let log = FunctionLog()
        record(log, "before")
        let started = ContinuousClock.now
        async let polled = log.entries(after: 1, wait: .seconds(30))
        try await Task.sleep(for: .milliseconds(100))
        record(log, "after")
        let entries = await polled
        XCTAssertEqual(entries.map(\.function), ["after"])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "the poll waited for its timeout instead of the entry")
    }

    func testALongPollWithNothingNewEndsAfterItsWait() async {
        let log = FunctionLog()
        record(log, "only")
        let started = ContinuousClock.now
        let entries = await log.entries(after: 1, wait: .milliseconds(200))
        XCTAssertEqual(entries.count, 0)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(150))
    }
}
