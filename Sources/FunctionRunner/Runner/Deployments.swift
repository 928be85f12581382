import Crypto
import Foundation
import Protocol
import Synchronization

/// The deployments a runner has loaded: for each bundle and set of environment variables (each by the
/// `ContentHash` the coordinator names it by), one isolate per worker thread. What it lacks is fetched
/// from the coordinator and checked against its hash. A change of environment variables is a new
/// load of the bundle, so code that reads `process.env` as its module loads sees the new values.
/// Each call goes to the isolate with the fewest calls in flight: an isolate given more calls than it
/// pools contexts for evaluates the bundle into a new context, and JavaScriptCore compiles its hot
/// code again for it.
actor Deployments {
    /// How the runner asks the coordinator for what it lacks.
    struct Source: Sendable {
        let bundle: @Sendable (String) async throws -> String
        let environment: @Sendable (String) async throws -> String
    }

    private let workers: Int
    private let limits: ExecutionLimits
    private let source: Source
    private var loaded: [String: [FunctionIsolate]] = [:]
    private var order: [String] = []
    /// Old deployments are dropped once this many newer ones are loaded.
    private static let keep = 2

    init(workers: Int, limits: ExecutionLimits, source: Source) {
        self.workers = workers
        self.limits = limits
        self.source = source
    }

    /// Runs `body` with the least busy isolate of the deployment, counting the call on it meanwhile.
    nonisolated func withIsolate<T>(for bundleHash: String, environment environmentHash: String,
                                    _ body: (FunctionIsolate) async throws -> T) async throws -> T {
        let isolate = try await isolate(for: bundleHash, environment: environmentHash)
        defer { isolate.callsInFlight.subtract(1, ordering: .relaxed) }
        return try await body(isolate)
    }

    /// The isolate with the fewest calls in flight, its count already raised by the call it is taken for.
    private func isolate(for bundleHash: String, environment environmentHash: String) async throws -> FunctionIsolate {
        let key = "\(bundleHash)/\(environmentHash)"
        if loaded[key] == nil {
            let bundle = try await source.bundle(bundleHash)
            let environment = try EnvironmentVariables(json: try await source.environment(environmentHash))
            guard ContentHash.of(bundle) == bundleHash else { throw HostError("bundle \(bundleHash) arrived with hash \(ContentHash.of(bundle))") }
            guard environment.hash == environmentHash else { throw HostError("environment \(environmentHash) arrived with hash \(environment.hash)") }
            if loaded[key] == nil {
                loaded[key] = (0..<workers).map {
                    FunctionIsolate(bundle: bundle, environment: environment.values, limits: limits, name: "converge-js-\($0)")
                }
                order.append(key)
                while order.count > Self.keep { loaded[order.removeFirst()] = nil }
            }
        }
        let isolate = loaded[key]!.min { $0.callsInFlight.load(ordering: .relaxed) < $1.callsInFlight.load(ordering: .relaxed) }!
        isolate.callsInFlight.add(1, ordering: .relaxed)
        return isolate
    }

}

extension RunFunction {
    /// Seeds `Math.random`. A query's seed comes from what it is, so the same query at the same snapshot
    /// gives the same result; every mutation or action call gets its own.
    var seed: UInt64 {
        guard kind == .query else { return UInt64.random(in: 0...UInt64.max) }
        let text = "\(deployment)|\(environment)|\(module)|\(function)|\(ConvexJSONWriter.encodeString(args))|\(snapshotTs ?? 0)"
        return SHA256.hash(data: Data(text.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
