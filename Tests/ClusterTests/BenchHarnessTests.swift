import Foundation
import XCTest

/// `converge bench` end to end, briefly: it starts its own cluster, runs workloads over the real
/// protocols, checks what they must guarantee, and writes its report. The figures themselves are
/// for `bench/README.md`, not for assertions.
final class BenchHarnessTests: XCTestCase {
    func testBenchRunsWorkloadsChecksThemAndWritesItsReport() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("converge-bench-test-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try ConvergeCLI.run(["bench", "baseline", "commit", "contention", "disjoint", "--seconds", "1", "--commit-clients", "1,4",
                                       "--disjoint-subscriptions", "300", "--warmup", "1", "--output", output.path])
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        XCTAssertTrue(run.output.contains("## commit:"), run.output)
        XCTAssertTrue(run.output.contains("4 clients: 1 s of warm-up, not measured"), run.output)
        XCTAssertFalse(run.output.contains("PROBLEM"), run.output)

        let files = try FileManager.default.contentsOfDirectory(atPath: output.path)
        let json = try XCTUnwrap(files.first { $0.hasSuffix(".json") }, "\(files)")
        XCTAssertTrue(files.contains { $0.hasSuffix(".svg") }, "\(files)")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent(json))) as? [String: Any])
        let workloads = try XCTUnwrap(report["workloads"] as? [[String: Any]])
        XCTAssertEqual(workloads.map { $0["name"] as? String }, ["baseline", "commit", "contention", "disjoint"])
        for workload in workloads {
            XCTAssertEqual((workload["problems"] as? [String])?.count, 0, "\(workload)")
            for run in workload["runs"] as? [[String: Any]] ?? [] {
                XCTAssertGreaterThan(run["operations"] as? Int ?? 0, 0, "\(workload["name"]!): \(run)")
            }
        }
        let disjoint = try XCTUnwrap(workloads.last?["runs"] as? [[String: Any]])
        let perWrite = (disjoint.last?["figures"] as? [[String: Any]])?.first { $0["name"] as? String == "queries re-executed per write" }
        XCTAssertEqual(perWrite?["value"] as? Double, 1, "each write re-runs exactly the one subscription it touches")
        let bar = try XCTUnwrap(report["bar"] as? [[String: Any]])
        XCTAssertTrue(bar.contains { ($0["requirement"] as? String)?.hasPrefix("disjoint") == true }, "\(bar)")
    }

    func testBenchRefusesAnUnknownWorkload() throws {
        let run = try ConvergeCLI.run(["bench", "nonsense"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.errors.contains("There is no workload nonsense"), run.errors)
    }
}
