import ArgumentParser
import Foundation

/// `converge logs`: a live stream of the deployment's function executions.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Stream function executions as they happen: time, kind, function, duration, outcome, log lines.",
        discussion: """
            Kinds: Q query, M mutation, A action, H HTTP action. Runs until Ctrl-C.

            Example:
              converge logs
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let deployment = try connection.resolve(appFolder: URL(fileURLWithPath: "convex"))
        emitLine("Watching logs of \(deployment.url)…")
        try await LogStream(deployment: deployment).follow()
    }
}
