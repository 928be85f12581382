import ConvergeTestSupport
import Foundation
import XCTest

/// The CLI as a developer meets it: `converge deploy` and `converge run` against `converge serve`, with an
/// app whose versions are written here one after another.
final class DeployWorkflowTests: XCTestCase {
    private var serve: ServeProcess!
    private var app: URL!

    override func setUpWithError() throws {
        serve = try ServeProcess()
        app = FileManager.default.temporaryDirectory.appendingPathComponent("converge-app-\(UUID().uuidString.prefix(8))/convex")
        try FileManager.default.createDirectory(at: app, withIntermediateDirectories: true)
    }

    override func tearDown() {
        serve.stop()
        try? FileManager.default.removeItem(at: app.deletingLastPathComponent())
    }

    /// Runs `converge ARGS` with the deployment's settings in the environment.
    private func converge(_ arguments: String..., environment: [String: String]? = nil) throws -> ConvergeCLI.Outcome {
        try ConvergeCLI.run(arguments, environment: environment ?? deploymentEnvironment)
    }

    private func write(_ files: [String: String]) throws {
        for (name, text) in files { try text.write(to: app.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    }

    private func remove(_ name: String) {
        try? FileManager.default.removeItem(at: app.appendingPathComponent(name))
    }

    private static let notes = """
        import { mutationGeneric as mutation, queryGeneric as query } from "convex/server";
        import { v } from "convex/values";
        export const add = mutation({ args: { body: v.any() }, handler: (ctx, { body }) => ctx.db.insert("notes", { body }) });
        export const list = query({ args: {}, handler: async (ctx) => (await ctx.db.query("notes").collect()).map((n) => n.body) });
        export const clear = mutation({
          args: {},
          handler: async (ctx) => { for (const n of await ctx.db.query("notes").collect()) await ctx.db.delete(n._id); },
        });
        """

    private static let byBody = """
        export const byBody = query({
          args: { body: v.string() },
          handler: async (ctx, { body }) => (await ctx.db.query("notes").withIndex("by_body", (q) => q.eq("body", body)).collect()).length,
        });
        """

    private static func schema(index: String?) -> String {
        """
        import { defineSchema, defineTable } from "convex/server";
        import { v } from "convex/values";
        export default defineSchema({ notes: defineTable({ body: v.string() })\(index.map { ".index(\"by_body\", \($0))" } ?? "") });
        """
    }

    func testPushesAreCheckedAgainstStoredDocumentsAndIndexesFollowTheSchema() throws {
        try write(["notes.ts": Self.notes])
        let first = try converge("deploy", app.path)
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertTrue(first.output.contains("[+] notes:add"), first.output)
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": 5}"#).status, 0)

        // A schema the stored number violates: refused, naming the table and the document.
        try write(["schema.ts": Self.schema(index: #"["body"]"#), "notes.ts": Self.notes + Self.byBody])
        let refused = try converge("deploy", app.path)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains(#"in table "notes" does not match the schema"#), refused.errors)
        XCTAssertTrue(refused.errors.contains("Document with ID \""), refused.errors)
        let unchanged = try converge("run", "notes:byBody", #"{"body": "x"}"#)
        XCTAssertNotEqual(unchanged.status, 0, "the refused push left the old functions live")
        XCTAssertTrue(unchanged.errors.contains("Could not find public function for 'notes:byBody'"), unchanged.errors)

        // Fix the data (with the old code), push again: the index is built and the new code is live.
        XCTAssertEqual(try converge("run", "notes:clear").status, 0)
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": "x"}"#).status, 0)
        let accepted = try converge("deploy", app.path)
        XCTAssertEqual(accepted.status, 0, accepted.errors)
        XCTAssertTrue(accepted.output.contains("Added table indexes:\n  [+] notes.by_body"), accepted.output)
        XCTAssertTrue(accepted.output.contains("[+] notes:byBody"), accepted.output)
        let found = try converge("run", "notes:byBody", #"{"body": "x"}"#)
        XCTAssertEqual(found.output.trimmingCharacters(in: .whitespacesAndNewlines), "1", found.errors)

        // Writes are checked against the schema from now on.
        let badWrite = try converge("run", "notes:add", #"{"body": 7}"#)
        XCTAssertNotEqual(badWrite.status, 0)
        XCTAssertTrue(badWrite.errors.contains(#"Failed to insert or update a document in table "notes" because it does not match the schema"#), badWrite.errors)
        XCTAssertTrue(badWrite.errors.contains("Path: .body\nValue: 7.0\nValidator: v.string()"), "Convex's way of showing values: \(badWrite.errors)")
        XCTAssertEqual(try converge("run", "notes:list").output.filter { !$0.isWhitespace }, #"["x"]"#)

        // The index leaves the schema: it is dropped.
        try write(["schema.ts": Self.schema(index: nil), "notes.ts": Self.notes])
        let dropped = try converge("deploy", app.path)
        XCTAssertEqual(dropped.status, 0, dropped.errors)
        XCTAssertTrue(dropped.output.contains("Deleted table indexes:\n  [-] notes.by_body"), dropped.output)
        XCTAssertTrue(dropped.output.contains("Removed functions:\n  [-] notes:byBody"), dropped.output)
    }

    func testSchemaValidationFalseKeepsIndexesButChecksNothing() throws {
        try write(["notes.ts": Self.notes])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": 5}"#).status, 0)
        try write(["schema.ts": """
            import { defineSchema, defineTable } from "convex/server";
            import { v } from "convex/values";
            export default defineSchema({ notes: defineTable({ body: v.string() }).index("by_body", ["body"]) }, { schemaValidation: false });
            """, "notes.ts": Self.notes + Self.byBody])
        let pushed = try converge("deploy", app.path)
        XCTAssertEqual(pushed.status, 0, "stored documents are not checked: \(pushed.errors)")
        XCTAssertTrue(pushed.output.contains("[+] notes.by_body"), pushed.output)
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": true}"#).status, 0, "nor are writes")
        XCTAssertEqual(try converge("run", "notes:list").output.filter { !$0.isWhitespace }, "[5,true]")
    }

    func testBrokenAppsAreRefusedWithOneLineAndTheDeploymentStays() throws {
        try write(["notes.ts": Self.notes])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        let cases: [(files: [String: String], expected: String)] = [
            (["broken.ts": "export const x = ;\n"], "Bundling"),
            (["broken.ts": "throw new Error(\"broken at import\");\nexport {};\n"], "broken at import"),
            (["schema.ts": Self.schema(index: #"["_id"]"#)], "`_id` is not a valid index field"),
            (["schema.ts": Self.schema(index: #"["body", "body"]"#)], "Duplicate field body"),
            (["schema.ts": Self.schema(index: #"["a..b"]"#)], #"In index "by_body": "a..b" is not a valid field path."#),
        ]
        for (files, expected) in cases {
            try write(files)
            let outcome = try converge("deploy", app.path)
            XCTAssertNotEqual(outcome.status, 0, "\(files.keys.first!) was accepted")
            let message = outcome.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(message.contains(expected), message)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            for name in files.keys { remove(name) }
        }
        XCTAssertEqual(try converge("run", "notes:list").status, 0, "the first deployment still serves")
    }

    func testEnvironmentVariablesChangeWithoutARedeployIncludingWhatModulesReadAsTheyLoad() throws {
        try write(["config.ts": """
            import { queryGeneric as query } from "convex/server";
            const atLoad = process.env.GREETING ?? "unset";
            export const greeting = query({ args: {}, handler: () => [atLoad, process.env.GREETING ?? null] });
            """])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        func greeting() throws -> String { try converge("run", "config:greeting").output.filter { !$0.isWhitespace } }
        XCTAssertEqual(try greeting(), #"["unset",null]"#)

        let set = try converge("env", "set", "GREETING", "hello there")
        XCTAssertEqual(set.status, 0, set.errors)
        XCTAssertEqual(try greeting(), #"["hellothere","hellothere"]"#, "the next call sees it, at load time too")
        XCTAssertEqual(try converge("env", "get", "GREETING").output, "hello there\n")
        XCTAssertEqual(try converge("env", "list").output, "GREETING=hello there\n")

        let invalid = try converge("env", "set", "1BAD", "x")
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.errors.contains("The environment variable name 1BAD is invalid."), invalid.errors)
        let tooBig = try converge("env", "set", "BIG", String(repeating: "x", count: 8193))
        XCTAssertTrue(tooBig.errors.contains("which is too large"), tooBig.errors)

        XCTAssertEqual(try converge("env", "remove", "GREETING").status, 0)
        XCTAssertEqual(try greeting(), #"["unset",null]"#)
        let missing = try converge("env", "get", "GREETING")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.errors.contains("Environment variable GREETING not found."), missing.errors)
    }

    private var deploymentEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["CONVEX_SELF_HOSTED_URL": serve.url, "CONVEX_SELF_HOSTED_ADMIN_KEY": serve.adminKey]) { $1 }
    }

    private static let chatty = """
        import { mutationGeneric as mutation } from "convex/server";
        export const shout = mutation({ args: {}, handler: async () => { console.log("shouting", 1); throw new Error("hoarse"); } });
        """

    func testLogsStreamEveryExecutionWithItsLogLinesAndOutcome() throws {
        try write(["notes.ts": Self.notes, "chatty.ts": Self.chatty])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        let logs = try BackgroundProcess(StorageProcess.binary, ["logs"], environment: deploymentEnvironment)
        defer { logs.stop() }
        try logs.waitFor("Watching logs of \(serve.url)")
        _ = try converge("run", "notes:add", #"{"body": "logged"}"#)
        _ = try converge("run", "chatty:shout")
        try logs.waitFor("M chatty:shout")
        XCTAssertTrue(logs.output.contains(" M notes:add "), logs.output)
        XCTAssertTrue(logs.output.contains("success"), logs.output)
        XCTAssertTrue(logs.output.contains("    [LOG] 'shouting' 1"), logs.output)
        XCTAssertTrue(logs.output.contains("    Uncaught Error: hoarse"), logs.output)
    }

    func testDevPushesOnEveryChangeAndSurvivesABrokenEdit() throws {
        try write(["notes.ts": Self.notes])
        let dev = try BackgroundProcess(StorageProcess.binary, ["dev", app.path, "--poll-interval", "0.1"], environment: deploymentEnvironment)
        defer { dev.stop() }
        try dev.waitFor("Convex functions ready!")
        try write(["chatty.ts": Self.chatty])
        try dev.waitFor("Convex functions ready!", count: 2)
        XCTAssertTrue(dev.output.contains("[+] chatty:shout"), dev.output)
        try write(["broken.ts": "export const = 1;\n"])
        try dev.waitFor("push failed: Bundling")
        remove("broken.ts")
        try dev.waitFor("Convex functions ready!", count: 3)
        _ = try converge("run", "chatty:shout")
        try dev.waitFor("[LOG] 'shouting' 1")
    }

    func testDataListsTablesAndDocumentsInEitherOrder() throws {
        try write(["notes.ts": Self.notes])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        XCTAssertEqual(try converge("data").output, "There are no tables yet.\n")
        for body in ["first", "second", "third"] { XCTAssertEqual(try converge("run", "notes:add", #"{"body": "\#(body)"}"#).status, 0) }
        XCTAssertEqual(try converge("data").output, "notes\n")
        let newest = try converge("data", "notes", "--limit", "2").output.split(separator: "\n")
        XCTAssertEqual(newest.count, 2)
        XCTAssertTrue(newest[0].contains(#""body":"third""#) && newest[1].contains(#""body":"second""#), "\(newest)")
        XCTAssertTrue(newest[0].contains(#""_id":""#) && newest[0].contains(#""_creationTime":"#), "\(newest)")
        let oldest = try converge("data", "notes", "--order", "asc", "--limit", "1").output
        XCTAssertTrue(oldest.contains(#""body":"first""#), oldest)
        let unknown = try converge("data", "nope")
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertEqual(unknown.errors, "Error: There is no table \"nope\".\n")
    }

    func testRunWatchPrintsEveryNewResultOfAQuery() throws {
        try write(["notes.ts": Self.notes])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        let watch = try BackgroundProcess(StorageProcess.binary, ["run", "notes:list", "--watch"], environment: deploymentEnvironment)
        defer { watch.stop() }
        try watch.waitFor("[\n\n]")
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": "watched"}"#).status, 0)
        try watch.waitFor(#""watched""#)
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": "again"}"#).status, 0)
        try watch.waitFor(#""again""#)
        // A result bigger than a WebSocket client's default frame limit (16 KB) still arrives.
        XCTAssertEqual(try converge("run", "notes:add", #"{"body": "\#(String(repeating: "x", count: 40_000))big"}"#).status, 0)
        try watch.waitFor(#"xbig""#)
    }

    /// An app without `_generated/` cannot be bundled; codegen writes it from the app alone, the build
    /// uses it, and tsc (installed by scripts/install-deps.sh) checks function references against it.
    func testCodegenWritesWhatTheBuildUsesAndTypeChecksFunctionReferences() throws {
        try FileManager.default.removeItem(at: app)
        try FileManager.default.copyItem(at: CompatScript.root.appendingPathComponent("examples/tasks/convex"), to: app)
        try FileManager.default.removeItem(at: app.appendingPathComponent("_generated"))
        let before = try converge("deploy", app.path)
        XCTAssertNotEqual(before.status, 0, "nothing to import from ./_generated yet")

        let generated = try converge("codegen", app.path, "--typecheck", "enable")
        XCTAssertEqual(generated.status, 0, generated.output + generated.errors)
        XCTAssertTrue(generated.output.contains("Type-checked: no errors."), generated.output)
        let api = try String(contentsOf: app.appendingPathComponent("_generated/api.d.ts"), encoding: .utf8)
        XCTAssertTrue(api.contains(#""summary": FunctionReference<"query", "public">;"#), api)
        XCTAssertTrue(api.contains(#""importRaw": FunctionReference<"mutation", "internal">;"#), api)
        let dataModel = try String(contentsOf: app.appendingPathComponent("_generated/dataModel.d.ts"), encoding: .utf8)
        XCTAssertTrue(dataModel.contains(#"export type TableNames = "tasks" | "projects";"#), dataModel)

        let deployed = try converge("deploy", app.path)
        XCTAssertEqual(deployed.status, 0, deployed.errors)
        XCTAssertEqual(try converge("run", "tasks:summary").output.filter { !$0.isWhitespace }, #"{"doing":0,"done":0,"todo":0}"#)

        // A module's export and a nested module of the same name: api.nest.inner is both.
        try FileManager.default.createDirectory(at: app.appendingPathComponent("nest"), withIntermediateDirectories: true)
        try write([
            "nest.ts": #"import { queryGeneric as query } from "convex/server"; export const inner = query({ args: {}, handler: () => 1 });"#,
            "nest/inner.ts": #"import { queryGeneric as query } from "convex/server"; export const deep = query({ args: {}, handler: () => 2 });"#,
            "uses.ts": """
                import type { FunctionReference } from "convex/server";
                import { api } from "./_generated/api";
                import { action } from "./_generated/server";
                const inner: FunctionReference<"query", "public"> = api.nest.inner;
                export const both = action({ args: {}, handler: async (ctx) => [await ctx.runQuery(api.nest.inner, {}), await ctx.runQuery(api.nest.inner.deep, {})] });
                """,
        ])
        let nested = try converge("codegen", app.path, "--typecheck", "enable")
        XCTAssertEqual(nested.status, 0, nested.output + nested.errors)
        remove("uses.ts")

        try write(["typo.ts": """
            import { api } from "./_generated/api";
            import { action } from "./_generated/server";
            export const oops = action({ args: {}, handler: (ctx) => ctx.runQuery(api.tasks.summry, {}) });
            """])
        let typo = try converge("codegen", app.path, "--typecheck", "enable")
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.errors.contains("Property 'summry' does not exist"), typo.errors)
    }

    func testEveryCommandHasHelpWithExamples() throws {
        for command in ["serve", "dev", "deploy", "run", "logs", "env", "data", "codegen", "storage", "coordinator", "runner", "keys"] {
            let help = try converge(command, "--help")
            XCTAssertEqual(help.status, 0, command)
            XCTAssertTrue(help.output.contains("Example"), "\(command) --help has no examples:\n\(help.output)")
        }
    }

    /// A live query shows what the new code returns right after a push, and a new environment variable
    /// right after `converge env set`, without any change of data.
    func testLiveQueriesRunAgainAfterAPushAndAnEnvironmentChange() throws {
        func version(_ text: String) -> String {
            """
            import { queryGeneric as query } from "convex/server";
            export const current = query({ args: {}, handler: () => ["\(text)", process.env.SUFFIX ?? ""] });
            """
        }
        try write(["app.ts": version("one")])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        let watch = try BackgroundProcess(StorageProcess.binary, ["run", "app:current", "--watch"], environment: deploymentEnvironment)
        defer { watch.stop() }
        try watch.waitFor(#""one""#)
        try write(["app.ts": version("two")])
        XCTAssertEqual(try converge("deploy", app.path).status, 0)
        try watch.waitFor(#""two""#)
        XCTAssertEqual(try converge("env", "set", "SUFFIX", "changed").status, 0)
        try watch.waitFor(#""changed""#)
    }

    func testConnectionSettingsComeFromFlagsTheEnvironmentOrDotEnvLocal() throws {
        try write(["notes.ts": Self.notes])
        var bare = ProcessInfo.processInfo.environment
        for name in ["CONVEX_SELF_HOSTED_URL", "CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_SELF_HOST_URL", "CONVEX_SELF_HOST_ADMIN_KEY"] { bare[name] = nil }

        let missing = try converge("deploy", app.path, environment: bare)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.errors.contains("No deployment URL: pass --url, or set CONVEX_SELF_HOSTED_URL"), missing.errors)

        // .env.local beside convex/, in the older variable names.
        try "# written by hand\nexport CONVEX_SELF_HOST_URL=\(serve.url) # the local one\nCONVEX_SELF_HOST_ADMIN_KEY='\(serve.adminKey)'\n"
            .write(to: app.deletingLastPathComponent().appendingPathComponent(".env.local"), atomically: true, encoding: .utf8)
        let fromFile = try converge("deploy", app.path, environment: bare)
        XCTAssertEqual(fromFile.status, 0, fromFile.errors)

        let wrongKey = try converge("deploy", app.path, "--admin-key", "carnitas|0011", environment: bare)
        XCTAssertNotEqual(wrongKey.status, 0)
        XCTAssertTrue(wrongKey.errors.contains("refused the admin key"), wrongKey.errors)

        let keyForOtherURL = try converge("deploy", app.path, "--url", "http://127.0.0.1:1", environment: bare)
        XCTAssertTrue(keyForOtherURL.errors.contains("No admin key"), "the .env.local key is not sent elsewhere: \(keyForOtherURL.errors)")
        let noServer = try converge("deploy", app.path, "--url", "http://127.0.0.1:1", "--admin-key", "x", environment: bare)
        XCTAssertNotEqual(noServer.status, 0)
        XCTAssertTrue(noServer.errors.contains("Cannot reach the deployment at http://127.0.0.1:1"), noServer.errors)
        let malformed = try converge("deploy", app.path, "--url", "localhost:3210", "--admin-key", "x", environment: bare)
        XCTAssertNotEqual(malformed.status, 0)
        XCTAssertTrue(malformed.errors.contains("is not an http(s) URL"), malformed.errors)
        for outcome in [missing, wrongKey, noServer, malformed] {
            XCTAssertEqual(outcome.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1, outcome.errors)
        }
    }
}
