import AsyncHTTPClient
import Foundation
import FunctionRunner
import NIOCore
import Protocol

/// Bundles a `convex/` folder and makes it the live deployment of a running Converge.
enum DeploymentPush {
    /// Returns what changed, as lines for a person to read.
    @discardableResult
    static func push(directory: String, url: String, adminKey: String) async throws -> [String] {
        let bundle = try AppBundler.bundle(convexDirectory: URL(fileURLWithPath: directory))
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: ["/"]) + "/api/converge/push")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Convex \(adminKey)")
        request.body = .bytes(ByteBuffer(string: bundle))
        // Index backfills happen before the answer, so a push of a large table takes a while.
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            let message = (try? ConvexJSONReader.decode(String(buffer: body)))?["message"].flatMap { if case .string(let m) = $0 { m } else { nil } }
            throw ServeError("pushing \(directory) failed (\(response.status.code)): \(message ?? String(buffer: body))")
        }
        return summary(of: try ConvexJSONReader.decode(String(buffer: body)))
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
