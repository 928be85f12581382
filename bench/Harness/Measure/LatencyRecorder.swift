import BenchSupport
import Histogram

/// Latencies in microseconds, over the whole run and per interval of it (for drift and the chart).
/// One recorder per client task; `merge` combines them when the run ends.
struct LatencyRecorder: Sendable {
    static let highest: UInt64 = 120_000_000

    let start: ContinuousClock.Instant
    let interval: Duration
    private(set) var total = Histogram<UInt64>(highestTrackableValue: highest)
    private(set) var intervals: [Histogram<UInt64>] = []

    init(start: ContinuousClock.Instant, interval: Duration = .seconds(1)) {
        self.start = start
        self.interval = interval
    }

    /// A sample that completed at `end`. Open-loop workloads pass the latency from the time the
    /// request was due, not from when it was sent, so a stall also counts against the requests it
    /// held back (the correction for coordinated omission).
    mutating func record(_ latency: Duration, endingAt end: ContinuousClock.Instant = .now) {
        let micros = UInt64(max(0, latency.microseconds))
        let index = max(0, Int((end - start) / interval))
        while intervals.count <= index { intervals.append(Histogram(highestTrackableValue: Self.highest)) }
        _ = total.record(micros)
        _ = intervals[index].record(micros)
    }

    /// A recorder holding only a finished histogram, for runs that keep no timeline.
    init(_ histogram: Histogram<UInt64>) {
        self.init(start: .now)
        total = histogram
    }

    mutating func merge(_ other: LatencyRecorder) {
        total.add(other.total)
        while intervals.count < other.intervals.count { intervals.append(Histogram(highestTrackableValue: Self.highest)) }
        for (index, histogram) in other.intervals.enumerated() { intervals[index].add(histogram) }
    }

    static func merged(_ recorders: [LatencyRecorder], start: ContinuousClock.Instant, interval: Duration = .seconds(1)) -> LatencyRecorder {
        recorders.reduce(into: LatencyRecorder(start: start, interval: interval)) { $0.merge($1) }
    }
}
