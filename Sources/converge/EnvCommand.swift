import ArgumentParser
import Foundation
import NIOCore
import Protocol

/// `converge env`: the deployment's environment variables (`process.env` in functions). Changes apply
/// to the next calls without a redeploy.
struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "List, read, set and remove the deployment's environment variables.",
        discussion: """
            Examples:
              converge env set OPENAI_KEY sk-…
              converge env get OPENAI_KEY
              converge env list
              converge env remove OPENAI_KEY
            """,
        subcommands: [List.self, Get.self, Set.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Print every variable as NAME=value.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            for (name, value) in try await EnvCommand.fetch(connection).sorted(by: { $0.key < $1.key }) { print("\(name)=\(value)") }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one variable's value.")
        @Argument(help: "The variable's name.") var name: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard let value = try await EnvCommand.fetch(connection)[name] else { throw CLIError("Environment variable \(name) not found.") }
            print(value)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a variable (creating it if needed).")
        @Argument(help: "The variable's name.") var name: String
        @Argument(help: "Its value.") var value: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await EnvCommand.change(connection, name: name, value: value)
            print("Successfully set \(name)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a variable.")
        @Argument(help: "The variable's name.") var name: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await EnvCommand.change(connection, name: name, value: nil)
            print("Successfully unset \(name)")
        }
    }

    static func fetch(_ connection: ConnectionOptions) async throws -> [String: String] {
        let body = try await connection.resolve().request(.GET, "/api/converge/env")
        return try EnvironmentVariables(json: String(buffer: body)).values
    }

    static func change(_ connection: ConnectionOptions, name: String, value: String?) async throws {
        var change = JSONObject()
        change.string("name", name)
        change.raw("value", value.map { ConvexJSONWriter.encodeString(.string($0)) } ?? "null")
        var body = JSONObject()
        body.raw("changes", "[\(change.text)]")
        _ = try await connection.resolve().request(.POST, "/api/converge/env", body: ByteBuffer(string: body.text))
    }
}
