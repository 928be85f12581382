import ConvergeTestSupport
import Foundation
import XCTest

/// Both example apps, each deployed with `converge deploy` to a fresh `converge serve` and driven by
/// the official Python client (Tests/compat/examples_*.py).
final class ExamplesTests: XCTestCase {
    func testChat() throws {
        try drive("examples/chat/convex", with: "examples_chat.py")
    }

    func testTasks() throws {
        try drive("examples/tasks/convex", with: "examples_tasks.py")
    }

    private func drive(_ app: String, with script: String) throws {
        let serve = try ServeProcess()
        defer { serve.stop() }
        let environment = ProcessInfo.processInfo.environment.merging([
            "CONVEX_SELF_HOSTED_URL": serve.url, "CONVEX_SELF_HOSTED_ADMIN_KEY": serve.adminKey, "CONVERGE_BIN": StorageProcess.binary.path,
        ]) { $1 }
        let deployed = try ConvergeCLI.run(["deploy", CompatScript.root.appendingPathComponent(app).path], environment: environment)
        XCTAssertEqual(deployed.status, 0, deployed.output + deployed.errors)

        let outcome = try CompatScript.runScript(script, url: serve.url, adminKey: serve.adminKey, environment: environment)
        XCTAssertEqual(outcome.status, 0, outcome.report + serve.errorOutput)
        XCTAssertTrue(outcome.report.contains("all checks passed"), outcome.report)
    }
}
