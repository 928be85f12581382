import Foundation
import Histogram

/// One line of a benchmark table: how many operations in how long, and their latency distribution.
public struct Row {
    public var count: Int
    public var elapsed: Double
    public var histogram: Histogram<UInt64>

    public init(count: Int, elapsed: Double, histogram: Histogram<UInt64>) {
        self.count = count
        self.elapsed = elapsed
        self.histogram = histogram
    }

    public var rate: Double { Double(count) / elapsed }

    public static let header = "| run | ops | ops/s | p50 µs | p99 µs | max µs |\n|---|---:|---:|---:|---:|---:|"

    public func line(_ name: String) -> String {
        String(format: "| %@ | %d | %.0f | %llu | %llu | %llu |", name, count, rate,
               histogram.valueAtPercentile(50), histogram.valueAtPercentile(99), histogram.max)
    }
}

extension Duration {
    public var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
