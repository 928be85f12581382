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
    static func run(_ script: String, app: String = "examples/chat/convex", arguments: [String] = [], timeout: Double = 90) throws -> Outcome {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-compat-\(UUID().uuidString.prefix(8))")
        let errors = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + ".stderr")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: errors)
        }
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let serve = Process()
        serve.executableURL = StorageProcess.binary
        let appPath = app.hasPrefix("/") ? app : root.appendingPathComponent(app).path
        serve.arguments = ["serve", "--data", data.path, "--port", "0", "--site-port", "0", "--deploy", appPath]
        let output = Pipe()
        serve.standardOutput = output
        serve.standardError = try FileHandle(forWritingTo: errors)
        try serve.run()
        defer {
            serve.terminate()
            serve.waitUntilExit()
        }
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !text.contains("deployed") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard text.contains("deployed"), let url = text.firstMatch(of: /running at (\S+)/)?.1,
              let site = text.firstMatch(of: /HTTP actions at (\S+)/)?.1, let key = text.firstMatch(of: /admin key: (\S+)/)?.1
        else { throw TestFailure("converge serve did not start and deploy; it printed: \(text)") }

        let python = Process()
        python.executableURL = root.appendingPathComponent(".venv/bin/python")
        python.arguments = [root.appendingPathComponent("Tests/compat/\(script)").path, String(url), String(key)] + arguments
        python.environment = ProcessInfo.processInfo.environment.merging(["CONVERGE_SITE_URL": String(site)]) { $1 }
        let pythonOutput = Pipe()
        python.standardOutput = pythonOutput
        python.standardError = pythonOutput
        try python.run()
        let watchdog = DispatchWorkItem { python.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        python.waitUntilExit()
        watchdog.cancel()
        return Outcome(
            status: python.terminationStatus,
            report: String(decoding: pythonOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            serveErrors: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }
}
