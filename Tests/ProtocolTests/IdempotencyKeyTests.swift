import Foundation
import Protocol
import XCTest

final class IdempotencyKeyTests: XCTestCase {
    /// The storage node's receipts B-tree is keyed by these: later keys must sort after earlier ones,
    /// so a group commit's receipts land together at its end.
    func testKeysSortByTheTimeTheyWereMade() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let keys = (0..<100).map { IdempotencyKey.generate(now: start.addingTimeInterval(Double($0) * 0.000_01)) }
        for (earlier, later) in zip(keys, keys.dropFirst()) {
            XCTAssertTrue(earlier.bytes.lexicographicallyPrecedes(later.bytes), "\(earlier.bytes) before \(later.bytes)")
        }
        XCTAssertEqual(keys[0].bytes.count, 16)
    }

    func testKeysMadeAtTheSameMomentDiffer() {
        let now = Date()
        let keys = Set((0..<1000).map { _ in IdempotencyKey.generate(now: now) })
        XCTAssertEqual(keys.count, 1000)
    }
}
