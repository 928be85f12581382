import ArgumentParser

/// `converge deploy`: bundles a `convex/` folder and makes it the live deployment.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Bundle a convex/ folder with esbuild and push it to a running Converge."
    )

    @Argument(help: "The app's convex/ folder.")
    var directory: String

    @Option(help: "The deployment URL.")
    var url = "http://127.0.0.1:3210"

    @Option(help: "An admin key of the deployment.")
    var adminKey: String

    func run() async throws {
        for line in try await DeploymentPush.push(directory: directory, url: url, adminKey: adminKey) { print(line) }
        print("deployed \(directory)")
    }
}
