import ArgumentParser
import Foundation

/// `converge dev`: deploys, then pushes again whenever a file of the folder changes, and streams the
/// function log meanwhile, until Ctrl-C.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Deploy a convex/ folder, push again on every change, and stream function logs.",
        discussion: """
            A push that fails (a syntax error, a schema the data violates) is reported and the live \
            deployment stays; the next change is tried again.

            Example:
              converge dev            # ./convex, settings from .env.local
            """
    )

    @Argument(help: "The app's convex/ folder.")
    var directory = "convex"

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "How often to look for changes, in seconds.")
    var pollInterval = 0.5

    func run() async throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("There is no folder \(directory); give the app's convex/ folder.")
        }
        let deployment = try connection.resolve(appFolder: folder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await LogStream(deployment: deployment).follow() }
            group.addTask {
                var pushed: [String: Date]?
                while !Task.isCancelled {
                    let now = Self.modificationDates(in: folder)
                    if now != pushed {
                        pushed = now
                        await Self.push(directory, to: deployment)
                    }
                    try await Task.sleep(for: .seconds(pollInterval))
                }
            }
            try await group.next()
        }
    }

    private static func push(_ directory: String, to deployment: DeploymentConnection) async {
        let started = Date()
        do {
            let changes = try await DeploymentPush.push(directory: directory, to: deployment)
            for line in changes { emitLine(line) }
            emitLine(String(format: "%@ Convex functions ready! (%.2fs)", timeOfDay(), Date().timeIntervalSince(started)))
        } catch {
            FileHandle.standardError.write(Data("\(timeOfDay()) push failed: \(error)\n".utf8))
        }
    }

    private static func timeOfDay() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
    }

    /// The modification dates of the folder's source files (not `_generated/`, which codegen writes).
    static func modificationDates(in folder: URL) -> [String: Date] {
        var dates: [String: Date] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(folder.path.count + 1))
            guard relative != "_generated", !relative.hasPrefix("_generated/") else { continue }
            dates[relative] = (try? url.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
        }
        return dates
    }
}
