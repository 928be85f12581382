import ConvergeTestSupport
import Foundation
import XCTest

/// `converge serve` with the example app, driven by the official `convex` Python client (PyPI, pinned).
final class ServeCompatTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testOfficialPythonHTTPClientAgainstServe() throws {
        try runCompatScript("http_client.py")
    }

    func testOfficialPythonSyncClientAgainstServe() throws {
        try runCompatScript("sync_client.py")
    }

    func testPythonClientReconnectsAfterTheCoordinatorIsKilled() throws {
        try runCompatScript("reconnect.py", "coordinator")
    }

    func testPythonClientReconnectsAfterTheStorageNodeIsKilled() throws {
        try runCompatScript("reconnect.py", "storage")
    }

    func testBadInputOnEveryEntryPointLeavesOtherClientsServed() throws {
        try runCompatScript("bad_input.py")
    }

    private func runCompatScript(_ script: String, _ extraArguments: String...) throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-serve-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let serve = Process()
        serve.executableURL = StorageProcess.binary
        serve.arguments = ["serve", "--data", data.path, "--port", "0", "--deploy", Self.root.appendingPathComponent("examples/chat/convex").path]
        let output = Pipe()
        serve.standardOutput = output
        serve.standardError = FileHandle.nullDevice
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
        let url = try XCTUnwrap(text.firstMatch(of: /running at (\S+)/)?.1, "serve printed: \(text)")
        let key = try XCTUnwrap(text.firstMatch(of: /admin key: (\S+)/)?.1)
        XCTAssertTrue(text.contains("deployed"), text)

        let python = Process()
        python.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        python.arguments = [Self.root.appendingPathComponent("Tests/compat/\(script)").path, String(url), String(key)] + extraArguments
        let pythonOutput = Pipe()
        python.standardOutput = pythonOutput
        python.standardError = pythonOutput
        try python.run()
        // The client retries silently on protocol errors; never let it hang the suite.
        let watchdog = DispatchWorkItem { python.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: watchdog)
        python.waitUntilExit()
        watchdog.cancel()
        let report = String(decoding: pythonOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(python.terminationStatus, 0, report)
        XCTAssertTrue(report.contains("all checks passed"), report)
    }
}
