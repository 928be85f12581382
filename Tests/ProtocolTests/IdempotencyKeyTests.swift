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

    /// A client that keeps its session re-sends a mutation under the same (sessionId, requestId): the
    /// same key, so the storage node finds the first outcome.
    func testSessionRequestKeysAreTheSameForTheSamePairAndDifferOtherwise() {
        let session = "5b1ba4f4-0f4b-4b52-9a49-3f8a3c0e2d11"
        let key = IdempotencyKey.sessionRequest(sessionId: session, requestId: 7)
        XCTAssertEqual(key, IdempotencyKey.sessionRequest(sessionId: session, requestId: 7))
        XCTAssertNotEqual(key, IdempotencyKey.sessionRequest(sessionId: session, requestId: 8))
        XCTAssertNotEqual(key, IdempotencyKey.sessionRequest(sessionId: "5b1ba4f4-0f4b-4b52-9a49-3f8a3c0e2d12", requestId: 7))
        // Never the length of a generated key, so the two kinds cannot collide.
        XCTAssertEqual(key.bytes.count, 20)
        XCTAssertNotEqual(key.bytes.count, IdempotencyKey.generate().bytes.count)
    }

    /// One session's keys share their first 16 bytes (its UUID), so they sit together in the receipts B-tree.
    func testSessionRequestKeysOfOneSessionSortTogetherByRequestId() {
        let session = UUID().uuidString.lowercased()
        let keys = (0..<300).map { IdempotencyKey.sessionRequest(sessionId: session, requestId: UInt32($0)) }
        for (earlier, later) in zip(keys, keys.dropFirst()) {
            XCTAssertEqual(earlier.bytes.prefix(16), later.bytes.prefix(16))
            XCTAssertTrue(earlier.bytes.lexicographicallyPrecedes(later.bytes))
        }
    }

    func testSessionIdsThatAreNotUUIDsAreHashed() {
        let a = IdempotencyKey.sessionRequest(sessionId: "not a uuid", requestId: 0)
        XCTAssertEqual(a.bytes.count, 20)
        XCTAssertEqual(a, IdempotencyKey.sessionRequest(sessionId: "not a uuid", requestId: 0))
        XCTAssertNotEqual(a, IdempotencyKey.sessionRequest(sessionId: "not a uuid either", requestId: 0))
        // Case does not matter in a UUID, and does in any other string.
        XCTAssertEqual(IdempotencyKey.sessionRequest(sessionId: "5B1BA4F4-0F4B-4B52-9A49-3F8A3C0E2D11", requestId: 1),
                       IdempotencyKey.sessionRequest(sessionId: "5b1ba4f4-0f4b-4b52-9a49-3f8a3c0e2d11", requestId: 1))
    }
}
