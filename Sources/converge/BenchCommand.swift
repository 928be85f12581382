import ArgumentParser
import BenchHarness
import Foundation

/// `converge bench`: the load-test harness. By default it starts its own `converge serve` on a
/// temporary directory; with `--url` it drives that deployment instead, after replacing its app with
/// the bench app.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test a deployment and report throughput, latency percentiles and the performance bar.",
        discussion: """
            Workloads: \(BenchHarness.workloadNames.joined(separator: ", ")) (default: all, in that order).
            Prints a table per workload, then writes converge-bench-<time>.json and .svg to --output.

            Without --url the harness starts `converge serve` itself, which lets it read the cluster's memory \
            and database size, SIGKILL its storage node in `mixed` and every role in `chaos`, and run `scaling`. \
            With --url it pushes the bench app to that deployment, replacing the app deployed there.

            Examples:
              converge bench                                   # everything; `mixed` soaks for 10 minutes
              converge bench commit fanout --seconds 10
              converge bench mixed --mixed-seconds 60
              converge bench chaos --chaos-cycles 24           # exactly-once and recovery under SIGKILLs
              converge bench churn                             # coordinator memory as sockets come and go
              converge bench sessions                          # mutations from sockets holding live queries
              converge bench commit --url http://10.0.0.5:3210 --admin-key 'carnitas|…'
            """
    )

    @Argument(help: "Workloads to run.")
    var workloads: [String] = []

    @Option(help: "Seconds per run of the timed workloads.")
    var seconds = 5.0

    @Option(help: "Seconds of unmeasured load before each `commit` run, for the JavaScript engine to compile its hot code.")
    var warmup = 20.0

    @Option(help: "Client counts for `commit`, comma-separated.")
    var commitClients = "1,4,16,64"

    @Option(help: "Subscriber counts for `fanout`, comma-separated.")
    var fanoutSubscribers = "100,1000,5000"

    @Option(help: "Writes per subscriber count in `fanout`.")
    var fanoutRounds = 20

    @Option(help: "Subscriptions in `disjoint`.")
    var disjointSubscriptions = 20_000

    @Option(help: "Length of the `mixed` soak, in seconds.")
    var mixedSeconds = 600.0

    @Option(help: "Rounds of sockets opening and closing in `churn` (1,000 and 5,000 sockets in turn).")
    var churnRounds = 10

    @Option(help: "SIGKILLs in `chaos`: storage node, coordinator, db runner and action runner in turn.")
    var chaosCycles = 12

    @Option(help: "Seconds between two kills in `chaos`.")
    var chaosInterval = 4.0

    // One runner process of four workers: on two cores it beat two processes of two workers by about
    // a tenth of the CPU per mutation (fewer threads, fewer context switches), and four workers keep 16
    // calls in flight where two keep 8 (bench/README.md has the comparison).
    @Option(help: "Database runner processes of the cluster the harness starts.")
    var runners = 1

    @Option(help: "Worker threads per runner of the cluster the harness starts.")
    var runnerWorkers = 4

    @Option(help: "Where the JSON and SVG files go.")
    var output = "bench/results"

    @Option(help: "A running deployment to drive instead of starting one. Its app is replaced by the bench app.")
    var url: String?

    @Option(help: "An admin key of the deployment at --url.")
    var adminKey: String?

    func validate() throws {
        for name in workloads where !BenchHarness.workloadNames.contains(name) {
            throw ValidationError("There is no workload \(name); choose from \(BenchHarness.workloadNames.joined(separator: ", ")).")
        }
        guard (url == nil) == (adminKey == nil) else { throw ValidationError("--url and --admin-key go together.") }
        guard seconds > 0, mixedSeconds > 0 else { throw ValidationError("--seconds and --mixed-seconds must be positive.") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative.") }
        guard churnRounds >= 1, chaosCycles >= 1, chaosInterval > 0 else {
            throw ValidationError("--churn-rounds and --chaos-cycles must be at least 1, --chaos-interval positive.")
        }
        _ = try counts(commitClients, "--commit-clients")
        _ = try counts(fanoutSubscribers, "--fanout-subscribers")
    }

    func run() async throws {
        let target: BenchHarness.Target
        if let url, let adminKey {
            let deployment = DeploymentConnection(url: url.hasSuffix("/") ? String(url.dropLast()) : url, adminKey: adminKey)
            emitLine("Pushing the bench app to \(deployment.url)…")
            try await DeploymentPush.push(directory: BenchHarness.appFolder.path, to: deployment)
            target = .deployment(url: deployment.url, adminKey: adminKey)
        } else {
            target = .localCluster(converge: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath(),
                                   runners: runners, runnerWorkers: runnerWorkers)
        }
        var harness = BenchHarness(target: target, workloads: workloads.isEmpty ? BenchHarness.workloadNames : workloads,
                                   outputDirectory: URL(fileURLWithPath: output))
        harness.seconds = seconds
        harness.warmup = warmup
        harness.commitClients = try counts(commitClients, "--commit-clients")
        harness.fanoutSubscribers = try counts(fanoutSubscribers, "--fanout-subscribers")
        harness.fanoutRounds = fanoutRounds
        harness.disjointSubscriptions = disjointSubscriptions
        harness.mixedSeconds = mixedSeconds
        harness.churnRounds = churnRounds
        harness.chaosCycles = chaosCycles
        harness.chaosInterval = chaosInterval
        let files = try await harness.run()
        emitLine("\nWrote \(files.json.path) and \(files.svg.path)")
    }

    private func counts(_ list: String, _ option: String) throws -> [Int] {
        let values = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("\(option) takes positive whole numbers separated by commas, like 1,4,16.")
        }
        return values.map { $0! }
    }
}
