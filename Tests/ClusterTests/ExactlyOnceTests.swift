import Foundation
import XCTest

/// Sync mutations apply exactly once through crashes of each role, for a client that keeps its
/// session across reconnects (the JS client's rule). `Tests/compat/exactly_once.py` drives
/// `converge serve` over raw WebSockets and arms the crash points of `FaultPoint` one at a time.
final class ExactlyOnceTests: XCTestCase {
    func testMutationsApplyOnceAndReSendsGetTheFirstOutcomeThroughCrashesOfEveryRole() throws {
        let faults = FileManager.default.temporaryDirectory.appendingPathComponent("converge-faults-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: faults, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: faults) }
        let outcome = try CompatScript.run("exactly_once.py", app: "Tests/ClusterTests/Fixtures/exactly_once/convex",
                                           environment: ["CONVERGE_FAULTS": faults.path], timeout: 180)
        XCTAssertEqual(outcome.status, 0, outcome.report + "\n--- serve's stderr:\n" + outcome.serveErrors)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }
}
