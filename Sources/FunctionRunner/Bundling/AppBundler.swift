import Foundation

/// Bundles a `convex/` folder for the runners: every function module (not `_generated/`, not
/// `schema.ts`, not files with more than one dot) imported into one entry that installs them with the
/// schema of `schema.ts` and the auth providers of `auth.config.ts`,
/// `convex/server` and `convex/values` aliased to Converge's runtime library, through Debian's esbuild.
/// It lives beside the runtime library it aliases; the CLI's deploy uses it.
public enum AppBundler {
    public static func bundle(convexDirectory: URL) throws -> String {
        let modules = try functionModules(in: convexDirectory)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("converge-bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var entry = "import { installConverge } from \"convex/server\";\n"
        var table: [String] = []
        for (i, module) in modules.enumerated() {
            entry += "import * as m\(i) from \(String(reflecting: convexDirectory.appendingPathComponent(module).path));\n"
            let canonical = module.replacingOccurrences(of: #"\.(ts|tsx|js|jsx|mjs)$"#, with: ".js", options: .regularExpression)
            table.append("\(String(reflecting: canonical)): m\(i)")
        }
        // `schema.ts` and `auth.config.ts` are not function modules, but they are part of the deployment.
        var config: [String] = []
        for (name, files) in [("schema", ["schema.ts", "schema.js"]), ("auth", ["auth.config.ts", "auth.config.js"])] {
            guard let file = files.first(where: { FileManager.default.fileExists(atPath: convexDirectory.appendingPathComponent($0).path) }) else {
                continue
            }
            entry += "import \(name)Config from \(String(reflecting: convexDirectory.appendingPathComponent(file).path));\n"
            config.append("\(name): \(name)Config")
        }
        entry += "installConverge({ \(table.joined(separator: ", ")) }, { \(config.joined(separator: ", ")) });\n"
        let entryFile = work.appendingPathComponent("entry.ts"), output = work.appendingPathComponent("bundle.js")
        try entry.write(to: entryFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/esbuild")
        process.arguments = [entryFile.path, "--bundle", "--format=iife", "--target=es2022", "--log-level=error",
                             "--alias:convex/server=\(RuntimeLibrary.serverModule.path)",
                             "--alias:convex/values=\(RuntimeLibrary.valuesModule.path)",
                             "--outfile=\(output.path)"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BundleError(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        return try String(contentsOf: output, encoding: .utf8)
    }

    public static func functionModules(in directory: URL) throws -> [String] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)!
        var modules: [String] = []
        for case let url as URL in enumerator {
            let relative = String(url.path.dropFirst(directory.path.count + 1))
            let name = url.lastPathComponent
            guard ["ts", "tsx", "js", "jsx", "mjs"].contains(url.pathExtension), !relative.hasPrefix("_generated/"),
                  name != "schema.ts", name != "schema.js", name.filter({ $0 == "." }).count == 1, !name.hasSuffix(".d.ts")
            else { continue }
            modules.append(relative)
        }
        return modules.sorted()
    }
}

public struct BundleError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
