import Foundation

/// The report as plain text tables, the way the terminal shows it when a run ends.
enum TerminalTable {
    static func render(_ workload: WorkloadResult) -> String {
        var lines = ["", "## \(workload.name): \(workload.description)",
                     "| run | ops | ops/s | errors | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for run in workload.runs {
            let l = run.latency
            lines.append("| \(run.label) | \(run.operations) | \(String(format: "%.0f", run.perSecond)) | \(run.errors) | "
                         + [l.p50, l.p95, l.p99, l.p999, l.max].map(milliseconds).joined(separator: " | ") + " |")
        }
        for run in workload.runs where !run.figures.isEmpty {
            lines.append("  \(run.label): " + run.figures.map(describe).joined(separator: ", "))
        }
        for run in workload.runs {
            for sample in run.errorSamples {
                lines.append("  \(run.label): error: \(sample.prefix(300).replacingOccurrences(of: "\n", with: " "))")
            }
        }
        if !workload.figures.isEmpty { lines.append("  " + workload.figures.map(describe).joined(separator: ", ")) }
        for problem in workload.problems { lines.append("  PROBLEM: \(problem)") }
        return lines.joined(separator: "\n")
    }

    static func render(bar: [BarCheck]) -> String {
        guard !bar.isEmpty else { return "" }
        var lines = ["", "## The bar", "| requirement | measured | |", "|---|---|---|"]
        for check in bar { lines.append("| \(check.requirement) | \(check.measured) | \(check.passed ? "pass" : "MISS") |") }
        return lines.joined(separator: "\n")
    }

    static func milliseconds(_ micros: UInt64) -> String {
        micros >= 100_000 ? String(format: "%.0f", Double(micros) / 1000) : String(format: "%.2f", Double(micros) / 1000)
    }

    static func describe(_ figure: Figure) -> String {
        switch figure.unit {
        case "µs": String(format: "%@ %.2f ms", figure.name, figure.value / 1000)
        case "": String(format: "%@ %.2f", figure.name, figure.value)
        case "×": String(format: "%@ %.2f×", figure.name, figure.value)
        default: String(format: "%@ %.1f %@", figure.name, figure.value, figure.unit)
        }
    }
}
