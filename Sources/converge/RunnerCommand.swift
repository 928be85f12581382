import ArgumentParser
import Foundation
import FunctionRunner
import Logging
import Protocol

/// `converge runner`: a function runner process that dials the coordinator.
struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run user functions in JavaScriptCore for a coordinator.",
        discussion: """
            Examples:
              converge runner --coordinator tcp://10.0.0.1:7420 --storage tcp://10.0.0.2:7400 --pool db --instance-secret $SECRET
              converge runner --coordinator tcp://10.0.0.1:7420 --pool action --workers 4 --instance-secret $SECRET
            """
    )

    @Option(help: "The coordinator's runner endpoint: tcp://HOST:PORT or unix:///PATH.")
    var coordinator: String

    @Option(help: "The storage node (db runners only): tcp://HOST:PORT or unix:///PATH.")
    var storage: String?

    @Option(help: "db (queries and mutations) or action.")
    var pool = "db"

    @Option(help: "Worker threads, each with its own JavaScript context group.")
    var workers = 2

    @Option(help: "The instance secret as hex (default: $INSTANCE_SECRET).")
    var instanceSecret: String?

    @Option(help: "A name for this runner in the coordinator's logs.")
    var name = ProcessInfo.processInfo.hostName + "-\(ProcessInfo.processInfo.processIdentifier)"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        guard let coordinatorEndpoint = Endpoint(coordinator) else { throw ValidationError("cannot parse --coordinator \(coordinator)") }
        let storageEndpoint = try storage.map { text -> Endpoint in
            guard let endpoint = Endpoint(text) else { throw ValidationError("cannot parse --storage \(text)") }
            return endpoint
        }
        guard let runnerPool = ["db": RunnerPool.db, "action": .action][pool] else { throw ValidationError("--pool must be db or action") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        let service = RunnerService(configuration: .init(
            coordinator: coordinatorEndpoint, storage: storageEndpoint, pool: runnerPool, workers: workers,
            instanceSecret: try InstanceSecret.required(instanceSecret), name: name))
        try await service.run()
    }
}
