import ConvergeTestSupport
import Foundation
@testable import FunctionRunner
import Protocol
import XCTest

/// The web platform globals functions expect, and what queries and mutations may not do.
final class WebGlobalsTests: XCTestCase {
    let app = AppHarness()

    override func tearDown() async throws { await app.stop() }

    func testWebGlobalsBehaveAsInABrowser() async throws {
        try await app.start()
        let result = try await app.queryValue("web:globals")
        XCTAssertEqual(result["utf8Length"], 11.0)
        XCTAssertEqual(result["roundTrip"], "héllo 🌍")
        XCTAssertEqual(result["base64"], "aGkh")
        XCTAssertEqual(result["unbase64"], "hi!")
        XCTAssertEqual(result["href"], "https://user@example.com:8443/a/c?x=1&y=two+words&z=3%264#frag")
        XCTAssertEqual(result["host"], "example.com:8443")
        XCTAssertEqual(result["pathname"], "/a/c")
        XCTAssertEqual(result["y"], "two words")
        XCTAssertEqual(result["relative"], "https://example.com/a/up?q=1")
        XCTAssertEqual(result["params"], "q=a+b&n=1")
        XCTAssertEqual(result["contentType"], "text/plain")
        XCTAssertEqual(result["many"], "1, 2")
        XCTAssertEqual(result["aborted"], true)
        XCTAssertEqual(result["cloneIsDeep"], true)
        XCTAssertNotNil(result["uuid"]?.stringValue?.range(of: #"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#, options: .regularExpression))
        XCTAssertEqual(result["blobText"], "abc")
        XCTAssertEqual(result["status"], 201.0)
        XCTAssertEqual(result["json"], ["ok": true])
    }

    func testQueriesCannotFetchOrSetTimers() async throws {
        try await app.start()
        let refused = try await app.queryValue("web:tryFetch")
        XCTAssertEqual(refused, [
            "Can't use fetch() in queries and mutations. Please consider using an action.",
            "Can't use setTimeout in queries and mutations. Please consider using an action.",
        ])
    }

    func testActionsWaitOnTimersAndFetchOverHTTP() async throws {
        // A real HTTP server on loopback: Python's, serving one file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "served by python".write(to: directory.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let server = Process()
        // Debian's interpreter itself, not a shim that would outlive a SIGTERM.
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", directory.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }

        let isolate = FunctionIsolate(bundle: try AppHarness.bundle.get())
        let host = ActionHost(identity: nil) { _ in throw TestFailure("no callbacks here") }
        let request = FunctionRequest(module: "web.js", function: "fetchAndWait", kind: .action,
                                      args: ["url": .string("http://127.0.0.1:\(port)/hello.txt")], nowMillis: 0)
        var outcome = await isolate.run(request, host: host)
        for _ in 0..<50 {
            // The server may still be starting.
            guard case .failure(let error) = outcome.result, error.message.contains("fetch failed") else { break }
            try await Task.sleep(for: .milliseconds(100))
            outcome = await isolate.run(request, host: host)
        }
        let value = try app.value(outcome)
        XCTAssertEqual(value["status"], 200.0)
        XCTAssertEqual(value["text"], "served by python")
        XCTAssertEqual(value["type"], "text/plain")
        guard case .float64(let waited)? = value["waited"] else { return XCTFail("no wait measured") }
        XCTAssertGreaterThanOrEqual(waited, 45, "setTimeout waited with the real clock in an action")
    }
}
