import Foundation
import FunctionRunner
import NIOCore
import Protocol

/// Bundles a `convex/` folder and makes it the live deployment of a running Converge.
enum DeploymentPush {
    /// Returns what changed, as lines for a person to read.
    @discardableResult
    static func push(directory: String, to deployment: DeploymentConnection) async throws -> [String] {
        try await push(bundle: try bundle(directory: directory), to: deployment)
    }

    /// Pushes an app bundled already (`bundle(directory:)`); returns what changed.
    @discardableResult
    static func push(bundle: String, to deployment: DeploymentConnection) async throws -> [String] {
        // Checking stored documents and backfilling new indexes happen before the answer, so a push
        // onto large tables takes a while: say so now and then.
        let started = ContinuousClock.now
        let progress = Task {
            while true {
                try await Task.sleep(for: .seconds(5))
                let waited = Int((ContinuousClock.now - started).components.seconds)
                emitLine("Still pushing (\(waited) s): checking documents against the schema and backfilling indexes…")
            }
        }
        defer { progress.cancel() }
        let report = try await deployment.request(.POST, "/api/converge/push", body: ByteBuffer(string: bundle), timeout: .hours(1))
        return summary(of: try ConvexJSONReader.decode(String(buffer: report)))
    }

    /// The app bundled with esbuild; a failure is one line naming esbuild's first error.
    static func bundle(directory: String) throws -> String {
        do {
            return try AppBundler.bundle(convexDirectory: URL(fileURLWithPath: directory))
        } catch let error as BundleError {
            throw CLIError("Bundling \(directory) failed: \(firstError(inEsbuildOutput: error.description))")
        }
    }

    /// esbuild's first error as one line: its message and where it is (`file:line:column`).
    static func firstError(inEsbuildOutput output: String) -> String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let index = lines.firstIndex(where: { $0.contains("[ERROR]") }) else { return lines.first ?? output }
        let message = lines[index].components(separatedBy: "[ERROR]").last!.trimmingCharacters(in: .whitespaces)
        let location = lines[(index + 1)...].first { !$0.isEmpty }.map { " at " + $0.trimmingCharacters(in: [":"]) } ?? ""
        return message + location
    }

    /// What a push report says changed, in the words `npx convex deploy` uses where it has them.
    static func summary(of report: Value) -> [String] {
        func list(_ key: String) -> [String] {
            guard case .array(let items)? = report[key] else { return [] }
            return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
        }
        var lines: [String] = []
        for (key, title, mark) in [("createdTables", "Created tables", "+"), ("addedIndexes", "Added table indexes", "+"),
                                   ("removedIndexes", "Deleted table indexes", "-"), ("addedFunctions", "Added functions", "+"),
                                   ("removedFunctions", "Removed functions", "-")] {
            let items = list(key)
            guard !items.isEmpty else { continue }
            lines.append("\(title):")
            lines += items.map { "  [\(mark)] \($0)" }
        }
        return lines
    }
}
