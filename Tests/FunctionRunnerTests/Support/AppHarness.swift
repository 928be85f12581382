import ConvergeTestSupport
import Foundation
import FunctionRunner
import Protocol
import StorageClient
import XCTest

/// The fixture app bundled once, a real storage node with its tables and indexes, and an executor.
final class AppHarness {
    static let bundle: Result<String, Error> = Result {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/app/convex")
        return try AppBundler.bundle(convexDirectory: fixtures)
    }

    /// The instance secret the app's cursors are sealed with.
    static let seal = CursorSeal(instanceSecret: Array(repeating: 7, count: 32))

    let node = StorageProcess()
    var storage: StorageClient!
    var executor: FunctionExecutor!

    func start(limits: ExecutionLimits = .init(), transactionLimits: TransactionLimits = .init(), retryPolicy: RetryPolicy = .init()) async throws {
        try node.start()
        storage = try await node.connect()
        // What a push of the schema does: tables, and indexes with Convex's implicit `_creationTime`.
        _ = try await storage.createTable("messages")
        _ = try await storage.createTable("counters")
        _ = try await storage.createIndex(table: "messages", name: "by_author", fields: ["author", "_creationTime"])
        _ = try await storage.createIndex(table: "counters", name: "by_name", fields: ["name", "_creationTime"])
        let isolate = FunctionIsolate(bundle: try Self.bundle.get(), limits: limits)
        executor = FunctionExecutor(isolate: isolate, storage: storage, seal: Self.seal, retryPolicy: retryPolicy, limits: transactionLimits)
    }

    func stop() async {
        await storage?.close()
        node.stop()
        node.removeData()
    }

    static func request(_ path: String, _ args: [String: Value] = [:], kind: FunctionKind = .query, allowInternal: Bool = false) -> FunctionRequest {
        let parts = path.split(separator: ":", maxSplits: 1).map(String.init)
        let function = parts.count == 2 ? parts[1] : "default"
        return FunctionRequest(module: parts[0] + ".js", function: function, kind: kind, args: .object(args), allowInternal: allowInternal, seed: 7)
    }

    func query(_ path: String, _ args: [String: Value] = [:], allowInternal: Bool = false) async throws -> FunctionOutcome {
        try await executor.runQuery(Self.request(path, args, allowInternal: allowInternal)).outcome
    }

    func mutation(_ path: String, _ args: [String: Value] = [:]) async throws -> FunctionOutcome {
        try await executor.runMutation(Self.request(path, args, kind: .mutation)).outcome
    }

    func queryValue(_ path: String, _ args: [String: Value] = [:], file: StaticString = #filePath, line: UInt = #line) async throws -> Value {
        try value(try await query(path, args), file: file, line: line)
    }

    func mutationValue(_ path: String, _ args: [String: Value] = [:], file: StaticString = #filePath, line: UInt = #line) async throws -> Value {
        try value(try await mutation(path, args), file: file, line: line)
    }

    /// The function's value, failing the test if it threw.
    func value(_ outcome: FunctionOutcome, file: StaticString = #filePath, line: UInt = #line) throws -> Value {
        switch outcome.result {
        case .success(let value): return value
        case .failure(let error):
            XCTFail("function failed: \(error)", file: file, line: line)
            throw error
        }
    }

    func error(_ outcome: FunctionOutcome, file: StaticString = #filePath, line: UInt = #line) throws -> FunctionError {
        switch outcome.result {
        case .success(let value):
            XCTFail("function succeeded with \(value)", file: file, line: line)
            throw TestFailure("expected an error")
        case .failure(let error): return error
        }
    }
}
