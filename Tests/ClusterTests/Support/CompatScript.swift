import ConvergeTestSupport
import Foundation

/// Runs one script of `Tests/compat` with the project's Python client (`.venv`, the official `convex`
/// package) against a fresh `converge serve` with an app deployed.
enum CompatScript {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Outcome {
        let status: Int32
        /// What the script printed (stdout and stderr).
        let report: String
        /// What `converge serve` and its children wrote to stderr.
        let serveErrors: String
    }

    /// `app` is absolute or relative to the repository root. The script gets the URL, an admin key and
    /// `arguments`, and the site URL of HTTP actions in `CONVERGE_SITE_URL`;
    /// it is terminated after `timeout` seconds, since a client facing a protocol error retries silently.
    /// `serveArguments` are added to `converge serve`'s; `environment` is given to both.
    static func run(_ script: String, app: String = "examples/chat/convex", arguments: [String] = [], serveArguments: [String] = [],
                    environment extra: [String: String] = [:], timeout: Double = 90) throws -> Outcome {
        let serve = try ServeProcess(deploy: app.hasPrefix("/") ? app : root.appendingPathComponent(app).path, arguments: serveArguments,
                                     environment: extra)
        defer { serve.stop() }
        let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }.merging(["CONVERGE_SITE_URL": serve.siteURL]) { $1 }
        let outcome = try runScript(script, url: serve.url, adminKey: serve.adminKey, arguments: arguments, environment: environment, timeout: timeout)
        return Outcome(status: outcome.status, report: outcome.report, serveErrors: serve.errorOutput)
    }

    /// Runs a script against a deployment that is already up.
    static func runScript(_ script: String, url: String, adminKey: String, arguments: [String] = [], environment: [String: String],
                          timeout: Double = 90) throws -> Outcome {
        let python = Process()
        python.executableURL = root.appendingPathComponent(".venv/bin/python")
        python.arguments = [root.appendingPathComponent("Tests/compat/\(script)").path, url, adminKey] + arguments
        python.environment = environment
        let pythonOutput = Pipe()
        python.standardOutput = pythonOutput
        python.standardError = pythonOutput
        try python.run()
        let watchdog = DispatchWorkItem { python.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        python.waitUntilExit()
        watchdog.cancel()
        return Outcome(status: python.terminationStatus,
                       report: String(decoding: pythonOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), serveErrors: "")
    }
}
