import ArgumentParser
import Foundation
import Protocol

/// `converge serve`: the whole cluster on this machine. Starts the storage node, the coordinator and
/// the runners as supervised child processes talking over Unix sockets in the data directory,
/// restarts any that crash, and stops them all on SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run Converge: storage node, coordinator and runners, on SQLite in the data directory.",
        discussion: """
            Prints the URL, the site URL of HTTP actions and an admin key. Children that crash are restarted.

            Examples:
              converge serve                                   # ./converge_data, port 3210, site port 3211
              converge serve --data /var/lib/converge --deploy app/convex
              converge serve --port 0 --site-port 0 --runners 2  # free ports, two db runners
            """
    )

    @Option(help: "Data directory (SQLite database, instance secret, sockets).")
    var data = "./converge_data"

    @Option(help: "Address of the HTTP API.")
    var host = "127.0.0.1"

    @Option(help: "Port of the HTTP API (0 picks a free one).")
    var port = 3210

    @Option(help: "Port of the deployment's HTTP actions, its site URL (0 picks a free one).")
    var sitePort = 3211

    @Option(help: "Database runner processes.")
    var runners = 1

    @Option(help: "Action runner processes.")
    var actionRunners = 1

    @Option(help: "Worker threads per runner process; each interleaves up to 4 calls, one per pooled JavaScript context.")
    var runnerWorkers = 2

    @Option(help: "Calls that may wait for a free runner of one pool; past this, calls fail as overloaded.")
    var maxQueuedCalls = 10_000

    @Option(help: "Minutes a mutation's outcome is kept under its key, for clients that re-send it after a reconnect.")
    var receiptRetentionMinutes: Double = 10

    @Option(help: "A convex/ folder to bundle and deploy once the cluster is up.")
    var deploy: String?

    @Option(help: "The deployment's name (default: $INSTANCE_NAME, or the one saved in the data directory, or carnitas).")
    var instanceName: String?

    @Option(help: "The instance secret as hex (default: $INSTANCE_SECRET, or the one saved in the data directory, or a new one).")
    var instanceSecret: String?

    @Option(help: "The URL clients reach the API at, process.env.CONVEX_CLOUD_URL in functions (default: $CONVEX_CLOUD_ORIGIN, else http://HOST:PORT). Set it behind a reverse proxy.")
    var cloudOrigin: String?

    @Option(help: "The URL of the HTTP actions, process.env.CONVEX_SITE_URL (default: $CONVEX_SITE_ORIGIN, else http://HOST:SITE-PORT).")
    var siteOrigin: String?

    func run() async throws {
        // Bundled before any child starts: esbuild must not be spawned while `ChildProcess` threads
        // spawn (see `ChildProcess.spawnLock`), and a broken app fails here, before anything runs.
        let bundle = try deploy.map { try DeploymentPush.bundle(directory: $0) }
        let directory = URL(fileURLWithPath: data).standardizedFileURL
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment
        let secretHex: String
        if let given = instanceSecret ?? environment["INSTANCE_SECRET"] {
            secretHex = given
        } else {
            let bytes = try InstanceSecret.loadOrCreate(at: directory.appendingPathComponent("instance_secret"))
            secretHex = Hex.encode(bytes)
        }
        let secret = try InstanceSecret.parse(hex: secretHex)
        let name = try instanceName ?? environment["INSTANCE_NAME"] ?? Self.savedName(in: directory)

        // A restarted coordinator must come back on the same port, or clients could not reconnect.
        let httpPort = port == 0 ? try Self.freePort(host: host) : port
        let siteHTTPPort = sitePort == 0 ? try Self.freePort(host: host) : sitePort
        // Children get the secret in their environment, where `ps` does not show it.
        let secretEnvironment = ["INSTANCE_SECRET": secretHex]
        let storageSocket = directory.appendingPathComponent("storage.sock").path
        let runnerSocket = directory.appendingPathComponent("runners.sock").path
        let storage = ChildProcess(name: "storage", environment: secretEnvironment, arguments: [
            "storage", "--data-dir", directory.path, "--listen", "unix://\(storageSocket)",
            "--receipt-retention-minutes", String(receiptRetentionMinutes)])
        let coordinator = ChildProcess(name: "coordinator", environment: secretEnvironment, arguments: [
            "coordinator", "--host", host, "--port", String(httpPort), "--site-port", String(siteHTTPPort), "--runners", "unix://\(runnerSocket)", "--storage", "unix://\(storageSocket)",
            "--instance-name", name, "--max-queued-calls", String(maxQueuedCalls),
            "--deployment-file", directory.appendingPathComponent("deployment.js").path]
            + (cloudOrigin.map { ["--cloud-origin", $0] } ?? []) + (siteOrigin.map { ["--site-origin", $0] } ?? []))
        var children = [storage, coordinator]
        for (pool, count) in [("db", runners), ("action", actionRunners)] {
            for i in 0..<count {
                var arguments = ["runner", "--coordinator", "unix://\(runnerSocket)", "--pool", pool,
                                 "--name", "\(pool)-\(i)", "--workers", String(runnerWorkers)]
                if pool == "db" { arguments += ["--storage", "unix://\(storageSocket)"] }
                children.append(ChildProcess(name: "\(pool) runner \(i)", environment: secretEnvironment, arguments: arguments))
            }
        }
        Self.stopOnSignals(children)

        storage.supervise()
        _ = try storage.waitForLine(containing: "listening on")
        coordinator.supervise()
        let urls = try coordinator.waitForLine(containing: "coordinator cloud URL ")
        let line = try coordinator.waitForLine(containing: "coordinator listening on ")
        let url = String(line.split(separator: " ").last!)
        for runner in children.dropFirst(2) { runner.supervise() }

        let adminKey = try AdminKey(instanceName: name, issuedSeconds: UInt64(Date().timeIntervalSince1970)).encoded(instanceSecret: secret)
        // Tests and scripts read these lines.
        FileHandle.standardOutput.write(Data("""
            Converge is running at \(url)
            HTTP actions at http://\(host):\(siteHTTPPort)
            public URLs (process.env): \(urls.replacingOccurrences(of: "coordinator ", with: ""))
            admin key: \(adminKey)

            """.utf8))
        if let deploy, let bundle {
            let changes = try await DeploymentPush.push(bundle: bundle, to: DeploymentConnection(url: url, adminKey: adminKey))
            FileHandle.standardOutput.write(Data(changes.map { $0 + "\n" }.joined().utf8))
            FileHandle.standardOutput.write(Data("deployed \(deploy)\n".utf8))
        }
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// A port nothing listens on now, picked by binding port 0.
    private static func freePort(host: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ServeError("cannot find a free port on \(host)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func savedName(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("instance_name")
        if let saved = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            return saved
        }
        try "carnitas\n".write(to: file, atomically: true, encoding: .utf8)
        return "carnitas"
    }

    private static func stopOnSignals(_ children: [ChildProcess]) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler {
                for child in children.reversed() { child.stop() }
                Thread.sleep(forTimeInterval: 0.5)
                Foundation.exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []
}
