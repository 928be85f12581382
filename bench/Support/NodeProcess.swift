import Foundation
import Protocol

/// The `converge storage` process under test, built beside this benchmark.
public struct NodeProcess {
    let process: Process
    public let endpoint: Endpoint

    public static func start(dataDir: URL, secret: [UInt8], extraArguments: [String] = []) throws -> NodeProcess {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("converge")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["storage", "--data-dir", dataDir.path, "--listen", "tcp://127.0.0.1:0",
                             "--instance-secret", secret.map { String(format: "%02x", $0) }.joined()] + extraArguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var output = ""
        while true {
            let data = stdout.fileHandleForReading.availableData
            guard !data.isEmpty else { throw BenchError("storage node exited: \(output)") }
            output += String(decoding: data, as: UTF8.self)
            if let range = output.range(of: "listening on "), let end = output[range.upperBound...].firstIndex(of: "\n"),
               let endpoint = Endpoint(String(output[range.upperBound..<end])) {
                return NodeProcess(process: process, endpoint: endpoint)
            }
        }
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
