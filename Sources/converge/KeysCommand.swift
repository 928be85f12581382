import ArgumentParser
import Foundation
import Protocol

/// `converge keys`: instance secrets and admin keys (docs/keys.md).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate instance secrets and admin keys.",
        discussion: """
            Examples:
              converge keys generate-secret
              converge keys admin-key --instance-name carnitas --instance-secret $SECRET
            """,
        subcommands: [GenerateSecret.self, AdminKeyCommand.self]
    )

    struct GenerateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "generate-secret", abstract: "Print a new random instance secret (64 hex characters).")

        func run() {
            print(InstanceSecret.generateHex())
        }
    }

    struct AdminKeyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "admin-key", abstract: "Print an admin key for a deployment.")

        @Option var instanceName: String
        @Option var instanceSecret: String

        func run() throws {
            let key = AdminKey(instanceName: instanceName, issuedSeconds: UInt64(Date().timeIntervalSince1970))
            FileHandle.standardError.write(Data("Admin key:\n".utf8))
            print(try key.encoded(instanceSecret: InstanceSecret.parse(hex: instanceSecret)))
        }
    }
}
