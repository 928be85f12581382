import Foundation
import Protocol

/// A `converge runner` process.
public final class RunnerProcess {
    private let process = Process()

    public init(coordinator: Endpoint, storage: Endpoint?, pool: String, name: String = "runner-\(UUID().uuidString.prefix(6))") throws {
        process.executableURL = StorageProcess.binary
        var arguments = ["runner", "--coordinator", coordinator.description, "--pool", pool, "--workers", "2", "--name", name,
                         "--instance-secret", StorageProcess.secret.map { String(format: "%02x", $0) }.joined()]
        if let storage { arguments += ["--storage", storage.description] }
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill() }
    }
}
