import ArgumentParser
import Foundation

/// `converge deploy`: bundles a `convex/` folder and makes it the live deployment.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Bundle a convex/ folder with esbuild and push it to a running Converge.",
        discussion: """
            The push is refused, and the live deployment left as it was, if a module does not bundle or \
            throws when loaded, or if documents already stored do not match the schema.

            Examples:
              converge deploy                         # ./convex, settings from .env.local
              converge deploy app/convex --url http://127.0.0.1:3210 --admin-key 'carnitas|…'
            """
    )

    @Argument(help: "The app's convex/ folder.")
    var directory = "convex"

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let folder = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("There is no folder \(directory); give the app's convex/ folder.")
        }
        let deployment = try connection.resolve(appFolder: folder)
        print("Bundling and pushing \(directory) to \(deployment.url)…")
        for line in try await DeploymentPush.push(directory: directory, to: deployment) { print(line) }
        print("Deployed \(directory) to \(deployment.url)")
    }
}
