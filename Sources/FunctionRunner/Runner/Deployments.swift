import Crypto
import Foundation
import Protocol

/// The deployments a runner has loaded: for each bundle (by the hex SHA-256 of its source), one
/// isolate per worker thread. A bundle it lacks is fetched from the coordinator and checked against its hash.
actor Deployments {
    private let workers: Int
    private let limits: ExecutionLimits
    private let fetch: @Sendable (String) async throws -> String
    private var loaded: [String: [FunctionIsolate]] = [:]
    private var order: [String] = []
    private var next = 0
    /// Old deployments are dropped once this many newer ones are loaded.
    private static let keep = 2

    init(workers: Int, limits: ExecutionLimits, fetch: @escaping @Sendable (String) async throws -> String) {
        self.workers = workers
        self.limits = limits
        self.fetch = fetch
    }

    /// An isolate of the deployment, taking the workers in turn.
    func isolate(for hash: String) async throws -> FunctionIsolate {
        if loaded[hash] == nil {
            let source = try await fetch(hash)
            let digest = SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
            guard digest == hash else { throw HostError("bundle \(hash) arrived with hash \(digest)") }
            if loaded[hash] == nil {
                loaded[hash] = (0..<workers).map { FunctionIsolate(bundle: source, limits: limits, name: "converge-js-\($0)") }
                order.append(hash)
                while order.count > Self.keep { loaded[order.removeFirst()] = nil }
            }
        }
        let isolates = loaded[hash]!
        next = (next + 1) % isolates.count
        return isolates[next]
    }
}

extension RunFunction {
    /// Seeds `Math.random`. A query's seed comes from what it is, so the same query at the same snapshot
    /// gives the same result; every mutation or action call gets its own.
    var seed: UInt64 {
        guard kind == .query else { return UInt64.random(in: 0...UInt64.max) }
        let text = "\(deployment)|\(module)|\(function)|\(ConvexJSONWriter.encodeString(args))|\(snapshotTs ?? 0)"
        return SHA256.hash(data: Data(text.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
