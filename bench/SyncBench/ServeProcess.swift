import Foundation

/// `converge serve` on a temporary data directory with an app deployed.
struct ServeProcess {
    let process: Process
    let url: String

    static func start(data: URL, app: URL, runners: Int = 2, workers: Int = 2) throws -> ServeProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("converge")
        process.arguments = ["serve", "--data", data.path, "--port", "0", "--site-port", "0", "--runners", String(runners), "--runner-workers", String(workers), "--deploy", app.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("deployed") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let url = text.firstMatch(of: /running at (\S+)/)?.1 else { throw CocoaError(.fileReadUnknown) }
        return ServeProcess(process: process, url: String(url))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
