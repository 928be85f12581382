import ArgumentParser
import Foundation

/// `converge data`: the deployment's tables, or the documents of one, newest first by default.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "List the tables, or print documents of one (one JSON object per line).",
        discussion: """
            Examples:
              converge data                       # the tables
              converge data messages --limit 10   # the 10 newest messages
              converge data messages --order asc  # the oldest first
            """
    )

    @Argument(help: "A table to print documents of.")
    var table: String?

    @Option(help: "How many documents at most.")
    var limit = 100

    @Option(help: "asc (oldest first) or desc (newest first).")
    var order = "desc"

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard order == "asc" || order == "desc" else { throw CLIError("--order is asc or desc, not \(order).") }
        guard limit > 0 else { throw CLIError("--limit must be at least 1.") }
        let deployment = try connection.resolve(appFolder: URL(fileURLWithPath: "convex"))
        guard let table else {
            let names = try JSONSerialization.jsonObject(with: Data(String(buffer: try await deployment.request(.GET, "/api/converge/tables")).utf8))
            let list = names as? [String] ?? []
            print(list.isEmpty ? "There are no tables yet." : list.joined(separator: "\n"))
            return
        }
        let encoded = table.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? table
        let body = try await deployment.request(.GET, "/api/converge/documents?table=\(encoded)&limit=\(limit)&order=\(order)")
        let documents = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [Any] ?? []
        for document in documents {
            let line = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: line, as: UTF8.self))
        }
    }
}
