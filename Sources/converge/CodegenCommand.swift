import ArgumentParser
import Foundation
import FunctionRunner
import Protocol

/// `converge codegen`: writes `convex/_generated/` (`api`, `server`, `dataModel`, as JavaScript and
/// `.d.ts`) for apps that lack it, from the app itself: it is bundled and analyzed here, no
/// deployment needed. With TypeScript's `tsc` on the PATH the app is then type-checked against it.
struct CodegenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codegen",
        abstract: "Write convex/_generated/ for an app, and type-check the app against it if tsc is installed.",
        discussion: """
            Examples:
              converge codegen                    # ./convex
              converge codegen app/convex --typecheck disable
            """
    )

    enum TypeCheck: String, ExpressibleByArgument, CaseIterable {
        case auto, enable, disable
    }

    @Argument(help: "The app's convex/ folder.")
    var directory = "convex"

    @Option(help: "Type-check with tsc: auto (when tsc is installed), enable (fail without tsc), disable.")
    var typecheck = TypeCheck.auto

    func run() async throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        let generated = folder.appendingPathComponent("_generated")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        // The JavaScript first: the app cannot be bundled without it.
        for (name, text) in GeneratedCode.javascript { try Self.write(text, to: generated.appendingPathComponent(name)) }
        // Earlier TypeScript versions of these files would shadow the new ones.
        for name in ["api.ts", "server.ts", "dataModel.ts"] { try? FileManager.default.removeItem(at: generated.appendingPathComponent(name)) }
        emitLine("Bundling \(directory)…")
        let bundle = try DeploymentPush.bundle(directory: directory)
        let analysis: Value
        do {
            analysis = try ConvexJSONReader.decode(try await FunctionIsolate(bundle: bundle).analyze())
        } catch {
            throw CLIError("The app failed to load: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        for (name, text) in GeneratedCode.declarations(analysis: analysis) { try Self.write(text, to: generated.appendingPathComponent(name)) }
        emitLine("Wrote \(generated.path)")
        try typeCheck(folder)
    }

    private static func write(_ text: String, to file: URL) throws {
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    private func typeCheck(_ folder: URL) throws {
        guard typecheck != .disable else { return }
        guard let tsc = Self.findOnPath("tsc") else {
            if typecheck == .enable { throw CLIError("tsc is not installed (on Debian: apt-get install node-typescript).") }
            emitLine("tsc is not installed; skipped type-checking.")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("converge-tsc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let config: [String: Any] = [
            "compilerOptions": [
                "noEmit": true, "strict": false, "target": "ES2022", "module": "ES2022", "moduleResolution": "node",
                "lib": ["ES2022", "DOM"], "skipLibCheck": true, "allowJs": false, "isolatedModules": true, "baseUrl": folder.path,
                "paths": ["convex/server": [RuntimeLibrary.serverDeclarations.path], "convex/values": [RuntimeLibrary.valuesDeclarations.path]],
            ],
            "include": [folder.path + "/**/*.ts"],
        ]
        let configFile = work.appendingPathComponent("tsconfig.json")
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: configFile)
        emitLine("Type-checking with \(tsc.path)…")
        let process = Process()
        process.executableURL = tsc
        process.arguments = ["--project", configFile.path, "--pretty", "false"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let errors = text.split(separator: "\n").filter { $0.contains("error TS") }
            throw CLIError("Type-checking found \(errors.count) error(s); the first: \(errors.first.map(String.init) ?? text)")
        }
        emitLine("Type-checked: no errors.")
    }

    static func findOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
