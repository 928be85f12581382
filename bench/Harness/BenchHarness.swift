import BenchSupport
import Foundation

/// `converge bench`: drives a deployment with the workloads and writes what it measured as a table,
/// a JSON file and an SVG chart.
public struct BenchHarness: Sendable {
    /// In the order they run: `scaling` stops the harness's cluster, so it goes last.
    public static let workloadNames = ["baseline", "commit", "contention", "fanout", "disjoint", "sessions", "mixed", "churn", "chaos", "scaling"]

    /// The app the workloads call; it must be deployed before a run against a deployment given by URL.
    public static var appFolder: URL { Bundle.module.url(forResource: "app", withExtension: nil)!.appendingPathComponent("convex") }

    public enum Target: Sendable {
        /// Start `converge serve` with the app deployed on a temporary directory (and others for `scaling`).
        case localCluster(converge: URL, runners: Int, runnerWorkers: Int)
        /// A running deployment that already has the app.
        case deployment(url: String, adminKey: String)
    }

    public var target: Target
    public var workloads: [String]
    public var seconds = 5.0
    /// Unmeasured load before each `commit` run (see `ClosedLoop.run`).
    public var warmup = 20.0
    public var commitClients = [1, 4, 16, 64]
    public var contentionClients = 16
    public var fanoutSubscribers = [100, 1_000, 5_000]
    public var fanoutRounds = 20
    public var disjointSubscriptions = 20_000
    public var mixedSeconds = 600.0
    public var mixedWritesPerSecond = 100.0
    public var mixedReadsPerSecond = 100.0
    public var mixedSubscribers = 200
    public var churnRounds = 10
    public var chaosCycles = 12
    public var chaosInterval = 4.0
    public var outputDirectory: URL

    public init(target: Target, workloads: [String], outputDirectory: URL) {
        self.target = target
        self.workloads = workloads
        self.outputDirectory = outputDirectory
    }

    /// Runs the workloads in the order of `workloadNames`; returns the JSON and SVG files written.
    public func run() async throws -> (json: URL, svg: URL) {
        let deployment: Deployment
        var startCluster: ((Int) throws -> LocalCluster)?
        switch target {
        case let .localCluster(converge, runners, runnerWorkers):
            say("Starting converge serve (\(runners) db runner\(runners == 1 ? "" : "s") of \(runnerWorkers) workers) with the bench app…")
            let cluster = try LocalCluster(converge: converge, app: Self.appFolder, runners: runners, runnerWorkers: runnerWorkers)
            deployment = Deployment(url: cluster.url, adminKey: cluster.adminKey, cluster: cluster)
            startCluster = { try LocalCluster(converge: converge, app: Self.appFolder, runners: $0, runnerWorkers: 1) }
        case let .deployment(url, adminKey):
            deployment = Deployment(url: url, adminKey: adminKey, cluster: nil)
        }
        defer { deployment.cluster?.stop() }

        var report = BenchReport(started: Date(), machine: .current, deployment: deployment.cluster == nil ? deployment.url : "local converge serve")
        say("converge bench: \(report.machine.cores) cores, \(report.machine.memoryBytes >> 20) MiB, \(deployment.url)")
        for name in Self.workloadNames where workloads.contains(name) {
            say("\n# \(name)")
            var result: WorkloadResult
            do {
                switch name {
                case "baseline": result = try BaselineWorkload(seconds: seconds).run()
                case "commit": result = await CommitWorkload(clientCounts: commitClients, seconds: seconds, warmup: warmup).run(deployment)
                case "contention": result = try await ContentionWorkload(clients: contentionClients, seconds: seconds).run(deployment)
                case "fanout": result = try await FanoutWorkload(subscriberCounts: fanoutSubscribers, rounds: fanoutRounds).run(deployment)
                case "disjoint": result = try await DisjointWorkload(subscriptions: disjointSubscriptions, seconds: seconds).run(deployment)
                case "sessions": result = try await SessionsWorkload(seconds: seconds, warmup: min(warmup, 5)).run(deployment)
                case "mixed":
                    result = try await MixedWorkload(seconds: mixedSeconds, writesPerSecond: mixedWritesPerSecond, readsPerSecond: mixedReadsPerSecond,
                                                     subscribers: mixedSubscribers).run(deployment)
                case "churn": result = try await ChurnWorkload(rounds: churnRounds).run(deployment)
                case "chaos": result = try await ChaosWorkload(cycles: chaosCycles, interval: .seconds(chaosInterval)).run(deployment)
                default:
                    guard let startCluster else {
                        say("  skipped: scaling starts clusters of its own, so it does not run against --url")
                        continue
                    }
                    deployment.cluster?.stop()
                    result = try await ScalingWorkload(seconds: seconds).run(startCluster: startCluster)
                }
            } catch {
                // One workload that cannot finish does not cost the figures of the others.
                result = WorkloadResult(name: name, description: "did not finish")
                result.problems.append("\(error)")
            }
            say(TerminalTable.render(result))
            report.workloads.append(result)
        }
        report.bar = PerformanceBar.judge(report)
        say(TerminalTable.render(bar: report.bar))
        return try write(report)
    }

    private func write(_ report: BenchReport) throws -> (json: URL, svg: URL) {
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: report.started).replacingOccurrences(of: ":", with: "")
        let json = outputDirectory.appendingPathComponent("converge-bench-\(stamp).json")
        let svg = outputDirectory.appendingPathComponent("converge-bench-\(stamp).svg")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(report).write(to: json)
        try SVGChart.render(report).write(to: svg, atomically: true, encoding: .utf8)
        return (json, svg)
    }
}
