import Foundation
import Synchronization

/// A child process of `converge serve`: started with its arguments, watched for the lines it prints
/// when ready, restarted with backoff when it exits unless the supervisor is stopping.
final class ChildProcess: Sendable {
    let name: String
    private let arguments: [String]
    private let environment: [String: String]
    private let state = Mutex<(process: Process?, output: String, stopping: Bool)>((nil, "", false))
    /// Held while a child is spawned. Foundation's `Process` on Linux learns that a child exited when
    /// its end of a socket pair closes; a second child spawned at the same moment can inherit that end
    /// and keep it open, and then the first child's exit is never seen: it is never restarted, and
    /// a `waitUntilExit` on esbuild never returns (a hung `serve --deploy`, seen once in four starts).
    private static let spawnLock = Mutex(())
    /// A child that ran this long before it exited was healthy: it is restarted at once, and only
    /// exits that follow each other faster than this back off.
    static let healthyAfter: TimeInterval = 3

    /// The pause before a restart: none after a healthy run, then 0.1 s doubling up to 5 s while the
    /// child keeps exiting early (a bad configuration should not spin).
    static func backoff(afterFailures failures: Int) -> TimeInterval {
        failures == 0 ? 0 : min(5, 0.1 * pow(2, Double(failures - 1)))
    }

    /// `environment` is added to this process's own (secrets go there, out of `ps`).
    init(name: String, environment: [String: String] = [:], arguments: [String]) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
    }

    /// Starts the process now and keeps restarting it until `stop()`.
    func supervise() {
        Thread.detachNewThread { [self] in
            var failures = 0
            while !state.withLock({ $0.stopping }) {
                let started = Date()
                do {
                    try runOnce()
                } catch {
                    FileHandle.standardError.write(Data("converge serve: cannot start \(name): \(error)\n".utf8))
                }
                if state.withLock({ $0.stopping }) { return }
                failures = Date().timeIntervalSince(started) >= Self.healthyAfter ? 0 : failures + 1
                let backoff = Self.backoff(afterFailures: failures)
                FileHandle.standardError.write(Data("converge serve: \(name) exited; restarting in \(backoff) s\n".utf8))
                Thread.sleep(forTimeInterval: backoff)
            }
        }
    }

    private func runOnce() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            state.withLock { $0.output += String(decoding: data, as: UTF8.self) }
        }
        // Spawned under the state's lock: a `stop()` either comes first (and nothing is spawned) or
        // finds the process running and terminates it. Otherwise a child spawned while `serve` stops
        // outlives it.
        let spawned = try state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.output = ""
            state.process = process
            try Self.spawnLock.withLock { _ in try process.run() }
            return true
        }
        guard spawned else { return }
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
    }

    /// Waits until the current run has printed a line containing `marker`; returns that line.
    func waitForLine(containing marker: String, timeout: TimeInterval = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let output = state.withLock { $0.output }
            if let line = output.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ServeError("\(name) did not become ready within \(Int(timeout)) s")
    }

    func stop() {
        let process = state.withLock { state -> Process? in
            state.stopping = true
            return state.process
        }
        guard let process, process.isRunning else { return }
        process.terminate()
    }
}
