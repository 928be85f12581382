@testable import Coordinator
import Protocol
import XCTest

/// The coordinator's shared query results: kept within a count and a byte bound, oldest dropped first.
final class QueryResultCacheTests: XCTestCase {
    private func key(_ n: Int) -> QueryResultCache.Key {
        QueryResultCache.Key(deployment: "d", environment: "e", path: CanonicalFunctionPath("messages:list")!, args: "[\(n)]",
                             allowInternal: false, snapshotTs: 1, journal: nil)
    }

    private static func result(characters: Int) -> FunctionResult {
        FunctionResult(status: .success(.string(String(repeating: "x", count: characters))), logLines: [])
    }

    func testLargeResultsAreKeptWithinTheByteBoundAndTheOldestGoFirst() async throws {
        let cache = QueryResultCache(capacity: 100, maxBytes: 100_000, metrics: CoordinatorMetrics())
        for n in 0..<10 { _ = try await cache.result(for: key(n), identity: "") { Self.result(characters: 20_000) } }
        let count = cache.count, bytes = cache.bytes
        XCTAssertLessThanOrEqual(bytes, 100_000)
        XCTAssertTrue((1...3).contains(count), "\(count) results of about 40 KB kept under 100 KB")

        let executions = cache.executions
        _ = try await cache.result(for: key(9), identity: "") { Self.result(characters: 1) }
        let afterNewest = cache.executions
        XCTAssertEqual(afterNewest, executions, "the newest result is still shared")
        _ = try await cache.result(for: key(0), identity: "") { Self.result(characters: 1) }
        let afterOldest = cache.executions
        XCTAssertEqual(afterOldest, executions + 1, "the oldest result was dropped and runs again")
    }

    func testTheNewestStayAndTheOldestGoOverManyEvictions() async throws {
        let cache = QueryResultCache(capacity: 5, maxBytes: 64 << 20, metrics: CoordinatorMetrics())
        for n in 0..<300 { _ = try await cache.result(for: key(n), identity: "") { Self.result(characters: 10) } }
        XCTAssertEqual(cache.count, 5)
        let executions = cache.executions
        for n in 295..<300 { _ = try await cache.result(for: key(n), identity: "") { Self.result(characters: 1) } }
        XCTAssertEqual(cache.executions, executions, "the five newest are still shared")
        _ = try await cache.result(for: key(294), identity: "") { Self.result(characters: 1) }
        XCTAssertEqual(cache.executions, executions + 1, "the one before them was dropped and runs again")
        XCTAssertEqual(cache.count, 5)
    }

    func testSmallResultsAreBoundedByCount() async throws {
        let cache = QueryResultCache(capacity: 5, maxBytes: 64 << 20, metrics: CoordinatorMetrics())
        for n in 0..<12 { _ = try await cache.result(for: key(n), identity: "") { Self.result(characters: 10) } }
        let count = cache.count
        XCTAssertEqual(count, 5)
    }
}
