import ConvergeTestSupport
import Foundation

/// A process that runs while a test goes on (`converge logs`, `converge dev`), with what it prints
/// (stdout and stderr together) collected for the test to wait on.
final class BackgroundProcess {
    private let process = Process()
    private let collected = Locked("")

    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [collected] handle in
            let data = handle.availableData
            collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var output: String { collected.withLock { $0 } }

    /// Waits until the output has `text` `count` times; fails the wait after `timeout` seconds.
    func waitFor(_ text: String, count: Int = 1, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while output.components(separatedBy: text).count - 1 < count {
            guard Date() < deadline else { throw TestFailure("no \(count)× \"\(text)\" in:\n\(output)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
