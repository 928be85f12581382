import Foundation

/// The report as one SVG page a browser opens: per workload, the latency distribution of each run
/// (percentile on a "nines" axis, latency on a log axis) and its throughput over time; for `mixed`,
/// memory and database size over time as well.
enum SVGChart {
    private static let panelWidth = 460.0, panelHeight = 260.0, margin = 56.0
    private static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    static func render(_ report: BenchReport) -> String {
        var body = ""
        var y = 60.0
        for workload in report.workloads where !workload.runs.isEmpty {
            body += text(x: 20, y: y - 22, "\(workload.name): \(workload.description)", size: 15, weight: "bold")
            let labels = workload.runs.map(\.label)
            body += distributionPanel(workload.runs, x: 20, y: y)
            body += throughputPanel(workload.runs, x: 40 + panelWidth + margin, y: y)
            if !workload.samples.isEmpty {
                body += resourcePanel(workload.samples, x: 60 + 2 * (panelWidth + margin), y: y)
            }
            body += legend(labels, x: 20 + margin, y: y + panelHeight + 38)
            y += panelHeight + 110
        }
        let width = 80 + 3 * (panelWidth + margin)
        let title = "converge bench, \(ISO8601DateFormatter().string(from: report.started)), \(report.machine.cores) cores, \(report.deployment)"
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(y))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            \(text(x: 20, y: 24, title, size: 17, weight: "bold"))
            \(body)</svg>

            """
    }

    /// Latency against percentile: x is -log10(1 - p), so 90, 99, 99.9 and 99.99 are evenly spaced.
    private static func distributionPanel(_ runs: [RunResult], x: Double, y: Double) -> String {
        let points = runs.map { run in run.latency.distribution.map { (nines($0[0]), max(0.001, $0[1] / 1000)) } }
        let values = points.flatMap { $0.map(\.1) }
        guard let low = values.min(), let high = values.max() else { return "" }
        let yAxis = LogAxis(low: low, high: high)
        var svg = frame(x: x, y: y, title: "latency (ms, log) by percentile")
        for (p, label) in [(0.0, "0"), (50, "50"), (90, "90"), (99, "99"), (99.9, "99.9"), (99.99, "99.99")] {
            let px = x + margin + nines(p) / 4 * (panelWidth - margin)
            svg += line(px, y + panelHeight, px, y + panelHeight + 4) + text(x: px - 10, y: y + panelHeight + 18, label, size: 11)
        }
        for (tick, position) in yAxis.ticks { svg += yTick(tick, at: y + panelHeight - position * panelHeight, x: x) }
        for (index, series) in points.enumerated() {
            svg += polyline(series.map { (x + margin + $0.0 / 4 * (panelWidth - margin), y + panelHeight - yAxis.position($0.1) * panelHeight) }, color: index)
        }
        return svg
    }

    /// Operations per second in each interval of each run, against seconds since the run began.
    private static func throughputPanel(_ runs: [RunResult], x: Double, y: Double) -> String {
        let series = runs.map { run in
            run.timeline.enumerated().map { index, point in
                (point.second, Double(point.operations) / (point.second - (index == 0 ? 0 : run.timeline[index - 1].second)))
            }
        }
        return linePanel(series, x: x, y: y, title: "operations/s over time (s)")
    }

    private static func resourcePanel(_ samples: [ResourceSample], x: Double, y: Double) -> String {
        linePanel([samples.map { ($0.second, $0.coordinatorMiB) }, samples.map { ($0.second, $0.storageMiB) },
                   samples.map { ($0.second, $0.runnersMiB) }, samples.map { ($0.second, $0.databaseMiB) }],
                  x: x, y: y, title: "MiB over time (s): coordinator, storage, runners, database", colorOffset: 2)
    }

    private static func linePanel(_ series: [[(Double, Double)]], x: Double, y: Double, title: String, colorOffset: Int = 0) -> String {
        let all = series.flatMap { $0 }
        guard let maxX = all.map(\.0).max(), let maxY = all.map(\.1).max(), maxX > 0, maxY > 0 else { return "" }
        var svg = frame(x: x, y: y, title: title)
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg += yTick(niceNumber(maxY * fraction), at: y + panelHeight - fraction * panelHeight, x: x)
            let px = x + margin + fraction * (panelWidth - margin)
            svg += text(x: px - 8, y: y + panelHeight + 18, niceNumber(maxX * fraction), size: 11)
        }
        for (index, points) in series.enumerated() {
            svg += polyline(points.map { (x + margin + $0.0 / maxX * (panelWidth - margin), y + panelHeight - $0.1 / maxY * panelHeight) },
                            color: index + colorOffset)
        }
        return svg
    }

    private static func nines(_ percentile: Double) -> Double { min(4, -log10(max(1e-4, 1 - percentile / 100))) }

    private struct LogAxis {
        let low: Double, high: Double
        init(low: Double, high: Double) {
            self.low = pow(10, floor(log10(low)))
            self.high = max(pow(10, ceil(log10(high))), self.low * 10)
        }
        func position(_ value: Double) -> Double { (log10(value) - log10(low)) / (log10(high) - log10(low)) }
        var ticks: [(String, Double)] {
            stride(from: log10(low), through: log10(high), by: 1).map { (niceNumber(pow(10, $0)), position(pow(10, $0))) }
        }
    }

    private static func niceNumber(_ value: Double) -> String {
        value >= 100 || value == 0 ? String(format: "%.0f", value) : value >= 1 ? String(format: "%.1f", value) : String(format: "%g", value)
    }

    private static func frame(x: Double, y: Double, title: String) -> String {
        text(x: x + margin, y: y - 6, title, size: 12)
            + "<rect x=\"\(x + margin)\" y=\"\(y)\" width=\"\(panelWidth - margin)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
    }

    private static func yTick(_ label: String, at py: Double, x: Double) -> String {
        line(x + margin - 4, py, x + margin, py) + text(x: x + 4, y: py + 4, label, size: 11)
    }

    private static func legend(_ labels: [String], x: Double, y: Double) -> String {
        // Each entry as wide as its label (about 7 px a character at size 12), so long labels do not overlap.
        var px = x
        return labels.enumerated().map { index, label in
            defer { px += 36 + 7 * Double(label.count) }
            return "<rect x=\"\(px)\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(colors[index % colors.count])\"/>"
                + text(x: px + 16, y: y, label, size: 12)
        }.joined()
    }

    private static func polyline(_ points: [(Double, Double)], color: Int) -> String {
        let coordinates = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"\(colors[color % colors.count])\" points=\"\(coordinates)\"/>\n"
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" stroke=\"#999\"/>"
    }

    private static func text(x: Double, y: Double, _ content: String, size: Int, weight: String = "normal") -> String {
        let escaped = content.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" font-weight=\"\(weight)\">\(escaped)</text>\n"
    }
}
