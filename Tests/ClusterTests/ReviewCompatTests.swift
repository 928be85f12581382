import ConvergeTestSupport
import Foundation
import XCTest

/// Review findings against spec §1–§2: `converge serve` with a small fixture app
/// (Tests/ClusterTests/Fixtures/review) or examples/chat, driven by raw WebSocket/HTTP scripts and the
/// official Python client in Tests/compat/review_*.py. Each script prints "all checks passed" on success.
final class ReviewCompatTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let reviewApp = "Tests/ClusterTests/Fixtures/review/convex"

    /// An invalidation-driven Transition suspended at `latestTimestamp()` while a Remove for the same
    /// query is handled: `queries[id]!` (SyncSession.swift, transition) is nil and the coordinator crashes.
    func testRemoveRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("review_remove_race.py", app: Self.reviewApp)
    }

    /// Client disconnects racing invalidations: `close()` empties `queries` under a suspended Transition.
    func testDisconnectRacingAnInvalidationDoesNotCrashTheCoordinator() throws {
        try runScript("review_close_race.py", app: Self.reviewApp)
    }

    /// A 12 s action: the message loop is blocked inside `handle`, so Pongs are never read and
    /// Hummingbird's autoPing closes the socket ("Ping timeout", 1001) after ~10 s. Also: a ModifyQuerySet
    /// sent while an action runs is not answered until the action finishes (actions must run concurrently).
    func testLongActionKeepsTheSocketAndDoesNotBlockOtherMessages() throws {
        try runScript("review_slow_action.py", app: Self.reviewApp, timeout: 120)
    }

    /// Spec §1.6: the Python client settles a mutation on the next Transition of any kind, so every
    /// Transition sent after a MutationResponse must have ts >= the mutation's ts (read-your-writes).
    func testEveryTransitionAfterAMutationResponseCoversTheMutation() throws {
        try runScript("review_mutation_transition.py", app: Self.reviewApp)
    }

    /// Sync protocol shapes: version chaining, QueryFailed errorData only for ConvexError, identity
    /// versions, FatalError then close on a base version mismatch, no FatalError after AuthError.
    func testSyncProtocolShapes() throws {
        try runScript("review_sync_shapes.py", app: Self.reviewApp)
    }

    /// HTTP API: `/api/run/{path}` for an action, default format by Convex-Client, status codes.
    func testHTTPAPIShapes() throws {
        try runScript("review_http.py", app: Self.reviewApp)
    }

    private func runScript(_ script: String, app: String, timeout: Double = 90) throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("converge-review-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let serve = Process()
        serve.executableURL = StorageProcess.binary
        serve.arguments = ["serve", "--data", data.path, "--port", "0", "--deploy", Self.root.appendingPathComponent(app).path]
        let output = Pipe()
        serve.standardOutput = output
        let errors = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + ".stderr")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        serve.standardError = try FileHandle(forWritingTo: errors)
        defer { try? FileManager.default.removeItem(at: errors) }
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

        let python = Process()
        python.executableURL = Self.root.appendingPathComponent(".venv/bin/python")
        python.arguments = [Self.root.appendingPathComponent("Tests/compat/\(script)").path, String(url), String(key)]
        let pythonOutput = Pipe()
        python.standardOutput = pythonOutput
        python.standardError = pythonOutput
        try python.run()
        let watchdog = DispatchWorkItem { python.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        python.waitUntilExit()
        watchdog.cancel()
        let report = String(decoding: pythonOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let serveErrors = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        let crash = serveErrors.split(separator: "\n").filter { $0.contains("Fatal error") || $0.contains("exited; restarting") }
        XCTAssertTrue(crash.isEmpty, "a converge process crashed: \(crash.joined(separator: "\n"))")
        XCTAssertEqual(python.terminationStatus, 0, report)
        XCTAssertTrue(report.contains("all checks passed"), report)
    }
}
