import ArgumentParser

@main
struct Converge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "A self-hosted, Convex-compatible reactive backend.",
        subcommands: [StorageCommand.self, RunnerCommand.self]
    )
}
