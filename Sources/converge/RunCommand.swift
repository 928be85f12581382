import ArgumentParser
import Foundation
import NIOCore
import Protocol

/// `converge run`: runs one function of the live deployment as an admin (internal functions too)
/// and prints its value as JSON; log lines go to stderr.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a query, mutation or action of the live deployment and print what it returns.",
        discussion: """
            Examples:
              converge run messages:list
              converge run messages:send '{"body": "hello"}'
              converge run dir/module:function '{}' --url http://127.0.0.1:3210 --admin-key 'carnitas|…'
            """
    )

    @Argument(help: "The function, as module:name (module path without extension; `default` if no name).")
    var function: String

    @Argument(help: "Its arguments as a JSON object.")
    var args = "{}"

    @Flag(help: "For a query: keep printing its result each time it changes, until Ctrl-C.")
    var watch = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let arguments: Value
        do {
            arguments = try ConvexJSONReader.decode(args)
        } catch {
            throw ValidationError("The arguments are not JSON: \(error)")
        }
        guard case .object = arguments else { throw ValidationError("The arguments must be a JSON object, like '{\"body\": \"hi\"}'.") }
        guard CanonicalFunctionPath(function) != nil else {
            throw ValidationError("\(function) is not a function path; write module:name, like messages:list.")
        }
        let deployment = try connection.resolve(appFolder: URL(fileURLWithPath: "convex"))
        if watch {
            try await QueryWatch(deployment: deployment, function: function, args: args).follow { result in
                switch result {
                case .success(let value): emitLine(Self.pretty(value))
                case .failure(let error): FileHandle.standardError.write(Data("\(error)\n".utf8))
                }
            }
            return
        }
        var body = JSONObject()
        body.string("path", function)
        body.raw("args", args)
        body.string("format", "json")
        let text = String(buffer: try await deployment.request(.POST, "/api/function", body: ByteBuffer(string: body.text)))
        guard let answer = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CLIError("the deployment answered something that is not JSON: \(text.prefix(200))")
        }
        for case let line as String in answer["logLines"] as? [Any] ?? [] { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        guard answer["status"] as? String == "success", let value = answer["value"] else {
            var lines = (answer["errorMessage"] as? String ?? "the function failed").split(separator: "\n", omittingEmptySubsequences: false)
            // Drop the "[Request ID: …] Server Error" line the HTTP API puts first.
            if lines.count > 1, lines[0].hasPrefix("[Request ID:") { lines.removeFirst() }
            throw CLIError(lines.joined(separator: "\n"))
        }
        print(Self.pretty(value))
    }

    /// Indented, keys sorted, as `npx convex run` shows values.
    static func pretty(_ value: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    static func pretty(_ value: Value) -> String {
        let clean = ValueFormat.clean.json(value)
        return (try? JSONSerialization.jsonObject(with: Data(clean.utf8), options: .fragmentsAllowed)).map { pretty($0) } ?? clean
    }
}
