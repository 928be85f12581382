import ConvergeTestSupport
import Foundation

/// Runs the `converge` binary the way a user does, and keeps what it printed.
enum ConvergeCLI {
    struct Outcome {
        let status: Int32
        let output: String
        let errors: String
    }

    /// `environment` replaces this process's environment when given.
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = StorageProcess.binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both before waiting: a full pipe would block the process.
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }
}
