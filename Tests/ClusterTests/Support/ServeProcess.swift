import ConvergeTestSupport
import Foundation

/// `converge serve` on a fresh data directory and free ports, optionally with an app deployed; what it
/// printed tells the URLs and an admin key. Its children's stderr goes to a file for failure reports.
final class ServeProcess {
    let url: String
    let siteURL: String
    let adminKey: String
    /// What the serve process printed up to the point it was ready.
    let output: String
    private let process = Process()
    private let data: URL
    private let errors: URL

    /// `environment` is added to this process's own, for `converge serve` and its children.
    init(deploy app: String? = nil, arguments: [String] = [], environment: [String: String] = [:]) throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-serve-\(UUID().uuidString.prefix(8))")
        errors = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + ".stderr")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.executableURL = StorageProcess.binary
        process.arguments = ["serve", "--data", data.path, "--port", "0", "--site-port", "0"] + (app.map { ["--deploy", $0] } ?? []) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        var text = ""
        let ready = app == nil ? "admin key: " : "deployed"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !text.contains(ready) || !text.hasSuffix("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        output = text
        guard text.contains(ready), let url = text.firstMatch(of: /running at (\S+)/)?.1,
              let site = text.firstMatch(of: /HTTP actions at (\S+)/)?.1, let key = text.firstMatch(of: /admin key: (\S+)/)?.1
        else {
            process.terminate()
            throw TestFailure("converge serve did not get ready; it printed: \(text)")
        }
        self.url = String(url)
        siteURL = String(site)
        adminKey = String(key)
    }

    /// What `converge serve` and its children wrote to stderr so far.
    var errorOutput: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: data)
        try? FileManager.default.removeItem(at: errors)
    }

    deinit { stop() }
}
