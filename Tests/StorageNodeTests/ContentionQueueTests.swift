import Protocol
@testable import StorageNode
import XCTest

/// The line of transactions that lost a conflict: the oldest claim on what a commit writes holds it up.
final class ContentionQueueTests: XCTestCase {
    private let index: IndexID = 3

    private func reads(_ keys: [[UInt8]]) -> KeyIntervalSet {
        var readSet = ReadSet()
        for key in keys { readSet.add(KeyInterval(start: key, end: key + [0]), index: index) }
        return KeyIntervalSet(readSet)
    }

    private func writing(_ key: [UInt8]) -> [WriteLog.WrittenKey] {
        [WriteLog.WrittenKey(index: index, key: key, table: 1)]
    }

    private func priority(_ since: Timestamp, _ token: UInt64) -> CommitPriority {
        CommitPriority(since: since, token: token)
    }

    func testAnOlderClaimOnWhatACommitWritesHoldsItUpAndANewerOneDoesNot() {
        var queue = ContentionQueue()
        queue.claim(priority(100, 1), reads: reads([[1]]), until: 1_000)
        XCTAssertEqual(queue.blocker(of: priority(200, 2), writing: writing([1]), now: 500)?.priority.token, 1, "a later transaction waits")
        XCTAssertEqual(queue.blocker(of: nil, writing: writing([1]), now: 500)?.priority.token, 1, "so does one without a priority")
        XCTAssertNil(queue.blocker(of: priority(50, 3), writing: writing([1]), now: 500), "an older one goes ahead")
        XCTAssertNil(queue.blocker(of: priority(100, 1), writing: writing([1]), now: 500), "its own claim holds no one up")
        XCTAssertNil(queue.blocker(of: priority(200, 2), writing: writing([2]), now: 500), "nor a commit elsewhere")
    }

    func testTheOldestOfSeveralClaimsIsTheBlocker() {
        var queue = ContentionQueue()
        queue.claim(priority(300, 3), reads: reads([[1]]), until: 1_000)
        queue.claim(priority(100, 1), reads: reads([[1]]), until: 1_000)
        queue.claim(priority(200, 2), reads: reads([[1]]), until: 1_000)
        XCTAssertEqual(queue.blocker(of: priority(400, 4), writing: writing([1]), now: 0)?.priority.token, 1)
        XCTAssertEqual(queue.blocker(of: priority(250, 5), writing: writing([1]), now: 0)?.priority.token, 1)
        queue.release(1)
        XCTAssertEqual(queue.blocker(of: priority(250, 5), writing: writing([1]), now: 0)?.priority.token, 2)
    }

    func testAClaimLapsesAfterItsLeaseAndARenewalReplacesIt() {
        var queue = ContentionQueue()
        queue.claim(priority(100, 1), reads: reads([[1]]), until: 1_000)
        XCTAssertNil(queue.blocker(of: nil, writing: writing([1]), now: 1_000), "lapsed")
        queue.claim(priority(100, 1), reads: reads([[2]]), until: 2_000)
        XCTAssertNil(queue.blocker(of: nil, writing: writing([1]), now: 1_500), "the renewal claims what the last attempt read")
        XCTAssertNotNil(queue.blocker(of: nil, writing: writing([2]), now: 1_500))
        XCTAssertEqual(queue.expire(now: 2_000), [1])
        XCTAssertTrue(queue.isEmpty)
    }
}
