import ArgumentParser
import Coordinator
import Foundation
import Logging
import Metrics
import Prometheus
import Protocol

/// `converge coordinator`: the front door (HTTP API) and the runner pool.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Serve the Convex HTTP API and dispatch functions to the runners that dial in.",
        discussion: """
            Example:
              converge coordinator --storage tcp://10.0.0.2:7400 --runners tcp://0.0.0.0:7420 --host 0.0.0.0 --instance-secret $SECRET
            """
    )

    @Option(help: "Address for the HTTP API.")
    var host = "127.0.0.1"

    @Option(help: "Port for the HTTP API (0 picks a free one).")
    var port = 3210

    @Option(help: "Port for the deployment's HTTP actions, its site URL (0 picks a free one).")
    var sitePort = 3211

    @Option(help: "The storage node, for live queries' subscriptions: tcp://HOST:PORT or unix:///PATH.")
    var storage: String

    @Option(help: "Where runners dial in: tcp://HOST:PORT or unix:///PATH.")
    var runners = "tcp://127.0.0.1:7420"

    @Option(help: "The deployment's name, which admin keys carry.")
    var instanceName = "carnitas"

    @Option(help: "The instance secret as hex (default: $INSTANCE_SECRET).")
    var instanceSecret: String?

    @Option(help: "A file that keeps the live deployment's bundle across restarts.")
    var deploymentFile: String?

    @Option(help: "Calls that may wait for a free runner of one pool; past this, calls fail as overloaded.")
    var maxQueuedCalls = 10_000

    @Option(help: "The URL clients reach the API at, as functions see it in process.env.CONVEX_CLOUD_URL (default: $CONVEX_CLOUD_ORIGIN, else the listening address). Set it behind a reverse proxy.")
    var cloudOrigin: String?

    @Option(help: "The URL of the HTTP actions, process.env.CONVEX_SITE_URL (default: $CONVEX_SITE_ORIGIN, else the site's listening address).")
    var siteOrigin: String?

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        guard let runnerEndpoint = Endpoint(runners) else { throw ValidationError("cannot parse --runners \(runners)") }
        guard let storageEndpoint = Endpoint(storage) else { throw ValidationError("cannot parse --storage \(storage)") }
        let coordinator = Coordinator(instanceSecret: try InstanceSecret.required(instanceSecret),
                                      deploymentFile: deploymentFile.map { URL(fileURLWithPath: $0) }, maxQueuedCalls: maxQueuedCalls)
        // Whatever reports through swift-metrics (the HTTP server does) appears in /metrics too.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: coordinator.metrics.registry))
        // A storage node that restarts later is dialed again at once; this process keeps its clients.
        try await coordinator.connectStorage(storageEndpoint)
        let bound = try await coordinator.listenForRunners(on: runnerEndpoint)
        var runnersAt = runnerEndpoint
        if case let .tcp(h, _) = runnerEndpoint, let p = bound?.port { runnersAt = .tcp(host: h, port: p) }
        let announcedRunners = runnersAt
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await coordinator.reclaimMemory() }
            // Supervisors and tests wait for these lines; written unbuffered. The site comes up first.
            let siteUp = AsyncStream.makeStream(of: Int.self)
            group.addTask { [host, sitePort] in
                try await coordinator.serveHTTPActions(host: host, port: sitePort) { bound in
                    FileHandle.standardOutput.write(Data("coordinator site on http://\(host):\(bound)\n".utf8))
                    siteUp.continuation.yield(bound)
                    siteUp.continuation.finish()
                }
            }
            var siteURL = ""
            for await port in siteUp.stream { siteURL = siteOrigin ?? Self.origin(environment: "CONVEX_SITE_ORIGIN", host: host, port: port) }
            group.addTask { [host, port, instanceName, cloudOrigin, siteURL] in
                try await coordinator.serveHTTP(host: host, port: port, instanceName: instanceName) { httpPort in
                    let cloudURL = cloudOrigin ?? Self.origin(environment: "CONVEX_CLOUD_ORIGIN", host: host, port: httpPort)
                    await coordinator.setPublicURLs(cloud: cloudURL, site: siteURL)
                    FileHandle.standardOutput.write(Data("""
                        coordinator cloud URL \(cloudURL), site URL \(siteURL)
                        coordinator runners on \(announcedRunners)
                        coordinator listening on http://\(host):\(httpPort)

                        """.utf8))
                }
            }
            // Either server ending (SIGTERM or SIGINT shut them down gracefully) ends the process; the
            // group would otherwise wait for the tasks that never end by themselves.
            try await group.next()
            group.cancelAll()
        }
    }

    /// A public URL from its environment variable, else the listening address (loopback for a wildcard one).
    static func origin(environment name: String, host: String, port: Int) -> String {
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return value }
        let reachable = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
    }
}
