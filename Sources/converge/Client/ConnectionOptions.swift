import ArgumentParser
import Foundation

/// Where a deployment is and how to act as its admin, for the commands that talk to one: `--url`
/// and `--admin-key`, else the environment, else `.env.local` beside the app's `convex/` folder or in
/// the current directory. The variables are the ones `npx convex` reads for self-hosted deployments.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The deployment URL (default: $CONVEX_SELF_HOSTED_URL, or .env.local).")
    var url: String?

    @Option(help: "An admin key of the deployment (default: $CONVEX_SELF_HOSTED_ADMIN_KEY, or .env.local).")
    var adminKey: String?

    static let urlVariables = ["CONVEX_SELF_HOSTED_URL", "CONVEX_SELF_HOST_URL"]
    static let keyVariables = ["CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_SELF_HOST_ADMIN_KEY"]

    /// `appFolder` is the app's `convex/` folder, if the command has one.
    func resolve(appFolder: URL? = nil) throws -> DeploymentConnection {
        let environment = ProcessInfo.processInfo.environment
        var files: [URL] = []
        if let appFolder { files.append(appFolder.standardizedFileURL.deletingLastPathComponent().appendingPathComponent(".env.local")) }
        files.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".env.local"))
        let dotenv = files.lazy.compactMap(Self.readDotenv).first ?? [:]
        func setting(_ flag: String?, _ names: [String], fromFile: Bool = true) -> String? {
            flag ?? names.lazy.compactMap { environment[$0] ?? (fromFile ? dotenv[$0] : nil) }.first.map { $0 }
        }
        guard let url = setting(url, Self.urlVariables), !url.isEmpty else {
            throw CLIError("No deployment URL: pass --url, or set CONVEX_SELF_HOSTED_URL (in the environment or .env.local); `converge serve` prints it.")
        }
        // The key in .env.local belongs to the URL there: it is not sent to a URL given with --url.
        guard let key = setting(adminKey, Self.keyVariables, fromFile: self.url == nil), !key.isEmpty else {
            throw CLIError("No admin key: pass --admin-key, or set CONVEX_SELF_HOSTED_ADMIN_KEY (in the environment or .env.local); `converge serve` prints one.")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw CLIError("The deployment URL \(url) is not an http(s) URL; fix --url or CONVEX_SELF_HOSTED_URL.")
        }
        return DeploymentConnection(url: url.hasSuffix("/") ? String(url.dropLast()) : url, adminKey: key)
    }

    /// `NAME=value` lines (optionally after `export`); `#` comments, blank lines and surrounding quotes are allowed.
    static func readDotenv(_ file: URL) -> [String: String]? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            var trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("export ") { trimmed = String(trimmed.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
                value = String(value.dropFirst().dropLast())
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            values[name] = value
        }
        return values
    }
}
