import Foundation
import Protocol
import StorageClient

/// A real `converge storage` process on a temporary data directory, for tests that cross process boundaries.
public final class StorageProcess {
    public static let secret: [UInt8] = Array(repeating: 7, count: 32)

    public let dataDir: URL
    public private(set) var endpoint: Endpoint!
    /// Every endpoint the node listens on, in the order of its `--listen` options.
    public private(set) var endpoints: [Endpoint] = []
    private var process: Process?
    private let extraArguments: [String]

    public init(dataDir: URL? = nil, extraArguments: [String] = []) {
        self.dataDir = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("converge-test-\(UUID().uuidString)")
        self.extraArguments = extraArguments
    }

    /// The `converge` binary built beside the test bundle (or `CONVERGE_BINARY`).
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["CONVERGE_BINARY"] { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `.build/debug/<Package>PackageTests.xctest`; the binary sits beside it.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("converge")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/converge")
    }

    /// Starts the node listening on a free loopback port (or on `endpoint`, to come back where it was
    /// before a kill) and waits until it says it is listening.
    public func start(listeningOn address: Endpoint? = nil) throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["storage", "--data-dir", dataDir.path, "--listen", address?.description ?? "tcp://127.0.0.1:0",
                             "--instance-secret", Self.secret.map { String(format: "%02x", $0) }.joined()] + extraArguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let handle = stdout.fileHandleForReading
        let expected = 1 + extraArguments.filter { $0 == "--listen" }.count
        var output = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
            let listening = output.split(separator: "\n").compactMap { line -> Endpoint? in
                guard let range = line.range(of: "listening on ") else { return nil }
                return Endpoint(String(line[range.upperBound...]))
            }
            if listening.count == expected && output.hasSuffix("\n") {
                endpoints = listening
                endpoint = listening[0]
                return
            }
        }
        throw TestFailure("storage node did not start; output: \(output)")
    }

    public func connect() async throws -> StorageClient {
        try await Self.connect(to: endpoint)
    }

    public static func connect(to endpoint: Endpoint) async throws -> StorageClient {
        try await StorageClient.connect(to: endpoint, instanceSecret: secret)
    }

    /// SIGKILL: no chance to flush or clean up, as in a power cut of the process.
    public func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    public func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    public var isRunning: Bool { process?.isRunning ?? false }

    deinit {
        kill()
    }

    public func removeData() {
        try? FileManager.default.removeItem(at: dataDir)
    }
}
