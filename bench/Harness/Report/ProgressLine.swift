import Foundation
import Synchronization

/// Counts a run's completed operations and prints how far it is every few seconds, so a person
/// watching a long run sees it moving.
final class ProgressLine: Sendable {
    private final class Counts: Sendable {
        let completed = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let samples = Mutex<[String]>([])
    }

    private let counts: Counts
    private let printer: Task<Void, Never>

    /// Counts from `started`, which may lie ahead (after a warm-up).
    init(_ label: String, seconds: Double?, every period: Duration = .seconds(2), from started: ContinuousClock.Instant = .now) {
        let counts = Counts()
        self.counts = counts
        printer = Task {
            try? await Task.sleep(until: started)
            while (try? await Task.sleep(for: period)) != nil {
                let elapsed = (ContinuousClock.now - started).seconds
                let of = seconds.map { String(format: " of %.0f", $0) } ?? ""
                let errors = counts.failed.load(ordering: .relaxed)
                say(String(format: "  … %@: %.0f%@ s, %d done%@", label, elapsed, of, counts.completed.load(ordering: .relaxed),
                             errors > 0 ? ", \(errors) failed" : ""))
            }
        }
    }

    func done(_ count: Int = 1) { counts.completed.add(count, ordering: .relaxed) }
    /// Counts a failure; the first few reasons are kept for the report.
    func failure(_ reason: String? = nil) {
        counts.failed.add(1, ordering: .relaxed)
        if let reason { counts.samples.withLock { if $0.count < 3, !$0.contains(reason) { $0.append(reason) } } }
    }
    var failureSamples: [String] { counts.samples.withLock { $0 } }
    var completedCount: Int { counts.completed.load(ordering: .relaxed) }
    var failedCount: Int { counts.failed.load(ordering: .relaxed) }

    func finish() { printer.cancel() }
}

/// Writes a line to standard output at once, so progress shows as it happens even when the output
/// goes to a file or a pipe (where `print` would hold it in a buffer until the run ends).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
