import ArgumentParser

@main
struct Converge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "A self-hosted, Convex-compatible reactive backend.",
        subcommands: [ServeCommand.self, StorageCommand.self, CoordinatorCommand.self, RunnerCommand.self, DeployCommand.self, KeysCommand.self]
    )
}
