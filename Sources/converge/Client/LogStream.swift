import Foundation
import NIOCore

/// Follows a deployment's function log (`GET /api/converge/logs`, long polling) and prints each
/// execution: time, kind, function, duration, outcome, then its log lines and error indented.
struct LogStream {
    let deployment: DeploymentConnection

    /// Prints executions from now on until the task is cancelled. A deployment that goes away (a
    /// coordinator restarting) is waited for, with a note, not given up on.
    func follow() async throws {
        var after: UInt64?
        var unreachable = false
        while !Task.isCancelled {
            let query = after.map { "?after=\($0)&wait=30" } ?? ""
            let body: ByteBuffer
            do {
                body = try await deployment.request(.GET, "/api/converge/logs\(query)", timeout: .seconds(45))
                if unreachable { emitLine("(reconnected to \(deployment.url))") }
                unreachable = false
            } catch {
                if !unreachable { FileHandle.standardError.write(Data("(lost the log stream: \(error); retrying)\n".utf8)) }
                unreachable = true
                try await Task.sleep(for: .seconds(1))
                continue
            }
            guard let answer = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any] else { continue }
            for case let entry as [String: Any] in answer["entries"] as? [Any] ?? [] { emitLine(Self.format(entry)) }
            after = (answer["latest"] as? NSNumber)?.uint64Value ?? after
        }
    }

    private static let timeFormat: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter
    }()

    static func format(_ entry: [String: Any]) -> String {
        let time = (entry["time"] as? NSNumber).map { timeFormat.string(from: Date(timeIntervalSince1970: $0.doubleValue)) } ?? "?"
        let kind = (entry["kind"] as? String).map { ["query": "Q", "mutation": "M", "action": "A", "httpAction": "H"][$0] ?? $0 } ?? "?"
        let duration = (entry["durationMs"] as? NSNumber).map { String(format: "%.1fms", $0.doubleValue) } ?? "?"
        var lines = ["\(time) \(kind) \(entry["function"] as? String ?? "?") \(duration) \(entry["outcome"] as? String ?? "?")"]
        for case let line as String in entry["logLines"] as? [Any] ?? [] { lines.append("    " + line) }
        if let error = entry["error"] as? String {
            lines += error.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

/// Writes a line to stdout at once (print buffers whole blocks when stdout is a pipe), for commands
/// whose output is followed live.
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
