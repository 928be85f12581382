import BenchSupport
import Foundation

/// `baseline`: the rows one insert mutation writes (the document, its two system index entries and
/// its commit receipt, and per transaction the high-water timestamp), put straight into SQLite with
/// the storage node's schema and durability (WAL, synchronous=FULL), one insert per transaction and
/// 16 per transaction. Every report carries the ratio to it, so the figures say how close the whole
/// stack comes to the disk it runs on.
struct BaselineWorkload {
    var seconds: Double

    func run() throws -> WorkloadResult {
        var result = WorkloadResult(name: "baseline", description: "direct SQLite inserts, WAL, synchronous=FULL, the storage node's schema")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-bench-baseline-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for batch in [1, 16] {
            let label = batch == 1 ? "1 row per transaction" : "\(batch) rows per transaction"
            say("  … baseline: \(label)")
            let row = try DirectSQLite.run(path: directory.appendingPathComponent("batch\(batch).sqlite3").path, batchSize: batch, seconds: seconds)
            var run = RunResult(label: label, operations: row.count, seconds: row.elapsed, recorder: LatencyRecorder(row.histogram))
            run.figures.append(Figure(name: "transactions/s", value: row.rate / Double(batch), unit: "/s"))
            result.runs.append(run)
        }
        return result
    }
}
