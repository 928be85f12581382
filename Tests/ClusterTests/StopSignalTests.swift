import ConvergeTestSupport
import Foundation
import XCTest

/// Every role stops on SIGTERM, however it was started: an ignored signal is inherited across exec,
/// and `serve` ignores SIGTERM and SIGINT to handle them itself.
final class StopSignalTests: XCTestCase {
    func testAStorageNodeStartedWithSIGTERMIgnoredStillStopsOnSIGTERM() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-signals-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // The shell ignores both signals, then becomes the storage node.
        process.arguments = ["-c", "trap '' TERM INT; exec \"$0\" storage --data-dir \"$1\" --listen tcp://127.0.0.1:0",
                             StorageProcess.binary.path, data.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let line = output.fileHandleForReading.availableData
        XCTAssertTrue(String(decoding: line, as: UTF8.self).contains("listening on"), "the node did not start")
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "SIGTERM did not stop a storage node whose parent ignored it")
    }
}
