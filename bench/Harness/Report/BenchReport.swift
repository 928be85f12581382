import Foundation
import Histogram

/// Everything one `converge bench` run measured: what the JSON file holds and what the table and
/// chart are drawn from.
struct BenchReport: Codable, Sendable {
    var started: Date
    var machine: Machine
    var deployment: String
    var workloads: [WorkloadResult] = []
    /// The performance bar, judged on this run's own figures.
    var bar: [BarCheck] = []
}

struct Machine: Codable, Sendable {
    var hostname: String
    var cores: Int
    var memoryBytes: UInt64
    var system: String

    static var current: Machine {
        let info = ProcessInfo.processInfo
        return Machine(hostname: info.hostName, cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
                       system: info.operatingSystemVersionString)
    }
}

/// One workload: its runs (one per client count, subscriber count, …) and the figures that belong to
/// the workload as a whole.
struct WorkloadResult: Codable, Sendable {
    var name: String
    var description: String
    var runs: [RunResult] = []
    var figures: [Figure] = []
    /// What the workload checked and found wrong (lost writes, wrong re-executions, errors).
    var problems: [String] = []
    /// Memory and database size over the run, when the harness started the cluster.
    var samples: [ResourceSample] = []
}

/// Resident memory of the cluster's processes by role, and the database's size, at one moment.
struct ResourceSample: Codable, Sendable {
    var second: Double
    var coordinatorMiB: Double
    var storageMiB: Double
    var runnersMiB: Double
    var databaseMiB: Double

    init(second: Double, cluster: LocalCluster) {
        self.second = second
        coordinatorMiB = Double(cluster.residentBytes(role: "coordinator")) / 1_048_576
        storageMiB = Double(cluster.residentBytes(role: "storage")) / 1_048_576
        runnersMiB = Double(cluster.residentBytes(role: "runner")) / 1_048_576
        databaseMiB = Double(cluster.databaseBytes) / 1_048_576
    }
}

/// A named number with its unit, for what a table column does not hold.
struct Figure: Codable, Sendable {
    var name: String
    var value: Double
    var unit: String
}

/// One run of a workload: how many operations in how long, their latency, and how it went over time.
struct RunResult: Codable, Sendable {
    var label: String
    var operations: Int
    var errors: Int
    /// The first few distinct reasons for errors.
    var errorSamples: [String] = []
    var seconds: Double
    var perSecond: Double
    var latency: LatencySummary
    /// Per interval of the run: operations completed and their p99.
    var timeline: [TimelinePoint]
    var figures: [Figure] = []

    init(label: String, operations: Int, errors: Int = 0, errorSamples: [String] = [], seconds: Double, recorder: LatencyRecorder, figures: [Figure] = []) {
        self.label = label
        self.operations = operations
        self.errors = errors
        self.errorSamples = errorSamples
        self.seconds = seconds
        self.perSecond = seconds > 0 ? Double(operations) / seconds : 0
        self.latency = LatencySummary(recorder.total)
        let step = recorder.interval.seconds
        self.timeline = recorder.intervals.enumerated().map { index, histogram in
            TimelinePoint(second: Double(index + 1) * step, operations: Int(histogram.totalCount),
                          p99Micros: histogram.totalCount > 0 ? histogram.valueAtPercentile(99) : nil)
        }
        self.figures = figures
    }

    func figure(_ name: String) -> Double? { figures.first { $0.name == name }?.value }
}

/// Latency percentiles in microseconds, and the distribution drawn in the chart.
struct LatencySummary: Codable, Sendable {
    var samples: UInt64
    var p50: UInt64
    var p95: UInt64
    var p99: UInt64
    var p999: UInt64
    var max: UInt64
    /// (percentile, microseconds) from 0 to 99.99, for the distribution curve.
    var distribution: [[Double]]

    init(_ histogram: Histogram<UInt64>) {
        samples = histogram.totalCount
        guard samples > 0 else {
            (p50, p95, p99, p999, max, distribution) = (0, 0, 0, 0, 0, [])
            return
        }
        p50 = histogram.valueAtPercentile(50)
        p95 = histogram.valueAtPercentile(95)
        p99 = histogram.valueAtPercentile(99)
        p999 = histogram.valueAtPercentile(99.9)
        max = histogram.max
        distribution = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99].map { [$0, Double(histogram.valueAtPercentile($0))] }
    }
}

struct TimelinePoint: Codable, Sendable {
    var second: Double
    var operations: Int
    var p99Micros: UInt64?
}

/// One line of the bar: what was measured, against what, and whether it passed.
struct BarCheck: Codable, Sendable {
    var requirement: String
    var measured: String
    var passed: Bool
}
