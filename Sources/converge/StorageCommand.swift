import ArgumentParser
import Foundation
import Logging
import Protocol
import StorageNode

/// `converge storage`: the storage node as its own process.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Run the storage node: the write-ahead log, timestamps, commits and subscriptions.",
        discussion: """
            Examples:
              converge storage --data-dir /var/lib/converge --listen tcp://0.0.0.0:7400 --instance-secret $SECRET
              converge storage --data-dir ./data --listen unix:///tmp/converge-storage.sock --instance-secret $SECRET
            """
    )

    @Option(help: "Directory for the SQLite database and the instance secret.")
    var dataDir = "./converge_data"

    @Option(name: .customLong("listen"), help: "Where to listen: tcp://HOST:PORT or unix:///PATH. Repeatable.")
    var endpoints: [String] = ["tcp://127.0.0.1:7410"]

    @Option(help: "The instance secret as hex. Default: $INSTANCE_SECRET, else read or create <data-dir>/instance_secret.")
    var instanceSecret: String?

    @Option(help: "Hours that old document versions stay readable.")
    var retentionHours: Double = 48

    @Option(help: "Seconds between retention runs.")
    var retentionInterval: Double = 60

    @Option(help: "Minutes a mutation's outcome is kept under its key, for clients that re-send it after a reconnect.")
    var receiptRetentionMinutes: Double = 10

    @Option(help: "SQLite synchronous mode: full (default; every commit is fsynced), normal or off.")
    var synchronous = "full"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "converge.storage")
        let listen = try endpoints.map { text -> Endpoint in
            guard let endpoint = Endpoint(text) else { throw ValidationError("cannot parse endpoint \(text)") }
            return endpoint
        }
        guard receiptRetentionMinutes >= 1 else {
            throw ValidationError("--receipt-retention-minutes must be at least 1: clients re-send after reconnecting, which can take a while")
        }
        guard let mode = SQLitePersistence.Synchronous(rawValue: synchronous.uppercased()) else {
            throw ValidationError("--synchronous must be full, normal or off")
        }
        let directory = URL(fileURLWithPath: dataDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let secret = try InstanceSecret.given(instanceSecret)
            ?? InstanceSecret.loadOrCreate(at: directory.appendingPathComponent("instance_secret"))

        let persistence = try SQLitePersistence(path: directory.appendingPathComponent("converge.sqlite3").path, synchronous: mode)
        var configuration = StorageNodeConfiguration()
        configuration.retentionWindowNanos = UInt64(retentionHours * 3600 * 1e9)
        configuration.retentionIntervalSeconds = retentionInterval
        configuration.receiptRetentionNanos = UInt64(receiptRetentionMinutes * 60 * 1e9)
        configuration.onPersistenceFailure = { error in
            // Unacknowledged commits were failed; exiting lets the supervisor restart from what is durable.
            FileHandle.standardError.write(Data("fatal: persistence write failed: \(error)\n".utf8))
            Foundation.exit(70)
        }
        let node = try await StorageNode.open(persistence: persistence, configuration: configuration, logger: logger)
        let server = StorageServer(node: node, instanceSecret: secret, logger: logger)
        for endpoint in listen {
            let address = try await server.listen(on: endpoint)
            // Tests and supervisors wait for this line; written unbuffered so they see it at once.
            var bound = endpoint
            if case let .tcp(host, _) = endpoint, let port = address?.port { bound = .tcp(host: host, port: port) }
            let line = "storage node listening on \(bound)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        await node.retentionLoop()
    }
}
