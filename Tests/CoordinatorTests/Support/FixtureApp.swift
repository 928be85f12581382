import Foundation
import FunctionRunner

/// The function runner tests' fixture app (`Tests/FunctionRunnerTests/Fixtures/app/convex`), bundled
/// once: what these tests push to a coordinator.
enum FixtureApp {
    static let bundle: Result<String, Error> = Result {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FunctionRunnerTests/Fixtures/app/convex")
        return try AppBundler.bundle(convexDirectory: fixtures)
    }
}
