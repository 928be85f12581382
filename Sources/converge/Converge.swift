import ArgumentParser

@main
struct Converge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "A self-hosted, Convex-compatible reactive backend.",
        subcommands: [ServeCommand.self, DevCommand.self, DeployCommand.self, RunCommand.self, LogsCommand.self, EnvCommand.self, DataCommand.self, CodegenCommand.self, StorageCommand.self, CoordinatorCommand.self, RunnerCommand.self, KeysCommand.self, BenchCommand.self]
    )
}
