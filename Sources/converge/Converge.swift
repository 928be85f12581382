import ArgumentParser
import Foundation

@main
struct Converge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "A self-hosted, Convex-compatible reactive backend.",
        subcommands: [ServeCommand.self, DevCommand.self, DeployCommand.self, RunCommand.self, LogsCommand.self, EnvCommand.self, DataCommand.self, CodegenCommand.self, StorageCommand.self, CoordinatorCommand.self, RunnerCommand.self, KeysCommand.self, BenchCommand.self]
    )

    /// Every role starts with SIGINT and SIGTERM at their defaults. An ignored signal stays ignored
    /// across exec, and `serve` ignores both to handle them itself: a storage node found orphaned
    /// after a test had both ignored, so the SIGTERM that stops it did nothing.
    static func main() async {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        await main(nil)
    }
}
