@testable import Coordinator
import XCTest

/// The coordinator trims its allocator once per crowd of sessions that left, after it finished leaving.
final class TrimScheduleTests: XCTestCase {
    private func schedule(open: Int, threshold: Int = 500) -> TrimSchedule {
        var schedule = TrimSchedule(threshold: threshold)
        for _ in 0..<open { schedule.opened() }
        return schedule
    }

    func testTrimWaitsUntilTheCrowdHasStoppedLeaving() {
        var schedule = schedule(open: 5_000)
        XCTAssertFalse(schedule.tick(), "nothing has left")
        for _ in 0..<3_000 { schedule.closed() }
        XCTAssertFalse(schedule.tick(), "3,000 left since the last tick: still leaving")
        for _ in 0..<2_000 { schedule.closed() }
        XCTAssertFalse(schedule.tick(), "the last 2,000 left since the last tick")
        XCTAssertTrue(schedule.tick(), "no one left during a whole tick: trim once")
        XCTAssertFalse(schedule.tick(), "and only once")
    }

    func testFewerDeparturesThanTheThresholdDoNotTrim() {
        var schedule = schedule(open: 600)
        _ = schedule.tick()
        for _ in 0..<499 { schedule.closed() }
        _ = schedule.tick()
        XCTAssertFalse(schedule.tick())
        schedule.closed()
        _ = schedule.tick()
        XCTAssertTrue(schedule.tick(), "500 below the peak")
    }

    func testThePeakStartsAgainAfterATrim() {
        var schedule = schedule(open: 1_000)
        _ = schedule.tick()
        for _ in 0..<1_000 { schedule.closed() }
        _ = schedule.tick()
        XCTAssertTrue(schedule.tick())
        for _ in 0..<400 { schedule.opened() }
        for _ in 0..<400 { schedule.closed() }
        _ = schedule.tick()
        XCTAssertFalse(schedule.tick(), "a crowd of 400 is below the threshold")
    }
}
