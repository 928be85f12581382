import Foundation

/// The performance bar, judged from one report's own figures (ratios within one run, since
/// absolute numbers on a shared machine drift between runs).
enum PerformanceBar {
    static func judge(_ report: BenchReport) -> [BarCheck] {
        var checks: [BarCheck] = []
        func workload(_ name: String) -> WorkloadResult? { report.workloads.first { $0.name == name } }
        func run(_ workload: WorkloadResult?, _ label: String) -> RunResult? { workload?.runs.first { $0.label == label } }

        if let commit = run(workload("commit"), "16 clients"), let batched = run(workload("baseline"), "16 rows per transaction"), batched.perSecond > 0 {
            let ratio = commit.perSecond / batched.perSecond
            checks.append(BarCheck(requirement: "commit at 16 clients ≥ 20% of baseline batched rows/s",
                                   measured: String(format: "%.0f / %.0f = %.0f%%", commit.perSecond, batched.perSecond, 100 * ratio), passed: ratio >= 0.2))
        }
        if let contention = workload("contention"), let hot = contention.runs.first {
            checks.append(BarCheck(requirement: "contention: no call out of retries (16 clients, 4 counters)",
                                   measured: String(format: "%d of %d calls, %.0f calls/s", hot.errors, hot.operations + hot.errors, hot.perSecond),
                                   passed: hot.errors == 0 && contention.problems.isEmpty))
        }
        if let fanout = run(workload("fanout"), "1000 subscribers"), let bare = run(workload("fanout"), "1000 subscribers, \(FanoutWorkload.bareLabel)") {
            let rate = fanout.figure("deliveries/s while delivering") ?? 0, bareRate = bare.figure("deliveries/s while delivering") ?? 0
            checks.append(BarCheck(requirement: "fanout, 1,000 subscribers: deliveries/s ≥ 60% of a bare SwiftNIO server's",
                                   measured: String(format: "%.0f / %.0f = %.0f%%", rate, bareRate, 100 * rate / max(1, bareRate)),
                                   passed: rate >= 0.6 * bareRate && fanout.errors == 0))
            checks.append(BarCheck(requirement: "fanout, 1,000 subscribers: p99 ≤ 1.5× a bare SwiftNIO server's",
                                   measured: String(format: "%@ / %@ ms = %.2f×", TerminalTable.milliseconds(fanout.latency.p99),
                                                    TerminalTable.milliseconds(bare.latency.p99), Double(fanout.latency.p99) / Double(max(1, bare.latency.p99))),
                                   passed: Double(fanout.latency.p99) <= 1.5 * Double(bare.latency.p99)))
        }
        if let disjoint = workload("disjoint"), disjoint.runs.count == 2 {
            let without = Double(disjoint.runs[0].latency.p50), with = Double(disjoint.runs[1].latency.p50)
            let perWrite = disjoint.runs[1].figure("queries re-executed per write") ?? 0
            checks.append(BarCheck(requirement: "disjoint: exactly the touched subscription re-executes",
                                   measured: String(format: "%.2f queries per write", perWrite), passed: disjoint.problems.isEmpty))
            checks.append(BarCheck(requirement: "disjoint: commit p50 with subscriptions ≤ 1.5× without",
                                   measured: String(format: "%@ / %@ ms = %.2f×", TerminalTable.milliseconds(UInt64(with)),
                                                    TerminalTable.milliseconds(UInt64(without)), with / max(1, without)),
                                   passed: with <= 1.5 * without))
        }
        if let sessions = workload("sessions"), sessions.runs.count == 2 {
            let without = Double(sessions.runs[0].latency.p50), with = Double(sessions.runs[1].latency.p50)
            let perMutation = sessions.runs[1].figure("query executions per mutation") ?? .infinity
            checks.append(BarCheck(requirement: "sessions: query executions per mutation ≤ 1.05 × the one it touched",
                                   measured: String(format: "%.3f", perMutation), passed: perMutation <= 1.05 && sessions.runs[1].errors == 0))
            checks.append(BarCheck(requirement: "sessions: commit p50 with 20 live queries per socket ≤ 1.3× without",
                                   measured: String(format: "%@ / %@ ms = %.2f×", TerminalTable.milliseconds(UInt64(with)),
                                                    TerminalTable.milliseconds(UInt64(without)), with / max(1, without)),
                                   passed: with <= 1.3 * without))
        }
        if let mixed = workload("mixed") {
            checks.append(BarCheck(requirement: "mixed: no error, no lost write", measured: mixed.problems.isEmpty ? "none" : mixed.problems.joined(separator: "; "),
                                   passed: mixed.problems.isEmpty))
            for kind in ["write", "read"] {
                let drift = mixed.figures.first { $0.name == "\(kind) p99 drift (last / first)" }?.value
                checks.append(BarCheck(requirement: "mixed: \(kind) p99 at the end ≤ 1.5× at the start",
                                       measured: drift.map { String(format: "%.2f×", $0) } ?? "not measured", passed: (drift ?? .infinity) <= 1.5))
            }
            // The first half fills bounded caches (query results, SQLite pages); a leak keeps growing in the second.
            if let first = mixed.samples.first, let last = mixed.samples.last, mixed.samples.count >= 4 {
                let middle = mixed.samples[mixed.samples.count / 2]
                for (role, memory) in [("coordinator", \ResourceSample.coordinatorMiB), ("runners", \ResourceSample.runnersMiB)] {
                    let growth = last[keyPath: memory] / max(1, middle[keyPath: memory])
                    checks.append(BarCheck(requirement: "mixed: \(role) memory flat (last sample ≤ 1.1× the middle one)",
                                           measured: String(format: "%.1f → %.1f → %.1f MiB (first, middle, last)", first[keyPath: memory],
                                                            middle[keyPath: memory], last[keyPath: memory]),
                                           passed: growth <= 1.1))
                }
            }
        }
        if let churn = workload("churn"), let ratio = churn.figures.first(where: { $0.name == "coordinator memory, last round / second round" }) {
            let rounds = churn.figures.filter { $0.name.hasPrefix("coordinator memory after round") }.map(\.value)
            checks.append(BarCheck(requirement: "churn: coordinator memory after the last round ≤ 1.1× after the second",
                                   measured: String(format: "%.1f → %.1f MiB = %.2f×", rounds.count > 1 ? rounds[1] : 0, rounds.last ?? 0, ratio.value),
                                   passed: ratio.value <= 1.1 && churn.problems.isEmpty))
        }
        if let chaos = workload("chaos") {
            func figure(_ name: String) -> Double? { chaos.figures.first { $0.name == name }?.value }
            checks.append(BarCheck(requirement: "chaos: 0 lost, 0 duplicated, money conserved",
                                   measured: chaos.problems.isEmpty ? String(format: "%.0f acknowledged; none lost or duplicated; money %.0f before and after",
                                                                             figure("acknowledged writes") ?? 0, figure("money after") ?? 0)
                                                                    : chaos.problems.joined(separator: "; "),
                                   passed: chaos.problems.isEmpty))
            let maxima = ChaosWorkload.victims.compactMap { victim in figure("\(victim.name): kill to next successful mutation, max").map { (victim.name, $0) } }
            checks.append(BarCheck(requirement: "chaos: every role serving again < 2 s after its SIGKILL",
                                   measured: maxima.map { String(format: "%@ %.0f ms", $0.0, $0.1) }.joined(separator: ", "),
                                   passed: maxima.count == ChaosWorkload.victims.count && maxima.allSatisfy { $0.1 < 2_000 }))
        }
        return checks
    }
}
