import Foundation
import Protocol
import Synchronization

/// A pushed app: its bundle (what runners evaluate) and the hash runners fetch it by.
public struct Deployment: Sendable {
    public let bundle: String
    /// Hex SHA-256 of the bundle's source; runners verify it when they fetch.
    public let hash: String

    public init(bundle: String) {
        self.bundle = bundle
        hash = ContentHash.of(bundle)
    }
}

/// The live deployment and its environment variables, and the versions of both runners may still ask
/// for. A push or a change of variables swaps atomically: calls started before finish on the old
/// version, calls after use the new one. With a file, the live bundle is kept there and the variables
/// in `environment.json` beside it, so a restarted coordinator serves what was last pushed and set.
actor DeploymentRegistry {
    private(set) var live: Deployment? {
        didSet { callTarget.withLock { $0.deployment = live?.hash } }
    }
    /// The variables set for the deployment, as admins list and change them.
    private(set) var environment: EnvironmentVariables {
        didSet { updateCallEnvironment() }
    }
    /// Convex's built-in variables: the deployment's public URLs (`CONVEX_CLOUD_URL`, `CONVEX_SITE_URL`).
    private var builtIns: [String: String] = [:] {
        didSet { updateCallEnvironment() }
    }
    /// What functions see as `process.env`: the variables set, and the built-ins.
    private(set) var callEnvironment = EnvironmentVariables()
    /// The hashes every call names, readable without waiting for the actor.
    private nonisolated let callTarget = Mutex<(deployment: String?, environment: String)>((nil, EnvironmentVariables.none))
    private var byHash: [String: Deployment] = [:]
    private var environments: [String: EnvironmentVariables] = [:]
    /// What a runner said each bundle defines (`FunctionIsolate.analyze`), by bundle and environment.
    private var analyses: [String: DeploymentAnalysis] = [:]
    private let file: URL?
    private let environmentFile: URL?

    init(file: URL?) {
        self.file = file
        let environmentFile = file?.deletingLastPathComponent().appendingPathComponent("environment.json")
        self.environmentFile = environmentFile
        var restored: Deployment?
        if let file, let bundle = try? String(contentsOf: file, encoding: .utf8) {
            let deployment = Deployment(bundle: bundle)
            byHash[deployment.hash] = deployment
            live = deployment
            restored = deployment
        }
        let saved = environmentFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) }.flatMap { try? EnvironmentVariables(json: $0) }
        let environment = saved ?? EnvironmentVariables()
        self.environment = environment
        callEnvironment = environment
        environments = [environment.hash: environment]
        callTarget.withLock { $0 = (restored?.hash, environment.hash) }
    }

    /// Sets the built-in variables (the deployment's public URLs); calls from now on see them.
    func setBuiltIns(_ values: [String: String]) {
        builtIns = values
    }

    private func updateCallEnvironment() {
        callEnvironment = EnvironmentVariables(environment.values.merging(builtIns) { _, builtIn in builtIn })
        environments[callEnvironment.hash] = callEnvironment
        callTarget.withLock { $0.environment = callEnvironment.hash }
    }

    /// The live deployment's hash and the environment's, as a call names them; nil before any push.
    nonisolated var liveCallTarget: (deployment: String, environment: String)? {
        callTarget.withLock { target in target.deployment.map { ($0, target.environment) } }
    }

    /// Applies changes to the variables (nil removes one); all or none, checked against Convex's limits.
    func changeEnvironment(_ changes: [(name: String, value: String?)]) throws -> EnvironmentVariables {
        let next = try environment.applying(changes)
        try environmentFile.map { try next.json.write(to: $0, atomically: true, encoding: .utf8) }
        environments[next.hash] = next
        environment = next
        return next
    }

    func environment(hash: String) -> EnvironmentVariables? {
        environments[hash]
    }

    /// Drops bundles (and their analyses) that are neither in `keep` nor live: rejected pushes and old versions.
    /// The live one is always kept.
    func forgetStaged(except keep: [String]) {
        let kept = Set(keep + [live?.hash].compactMap { $0 })
        byHash = byHash.filter { kept.contains($0.key) }
        analyses = analyses.filter { entry in kept.contains { entry.key.hasPrefix($0 + "/") } }
    }

    /// Makes a bundle fetchable by runners (for its analysis) before it is live.
    func stage(_ deployment: Deployment) {
        byHash[deployment.hash] = deployment
    }

    func push(_ deployment: Deployment) throws {
        try file.map { try deployment.bundle.write(to: $0, atomically: true, encoding: .utf8) }
        byHash[deployment.hash] = deployment
        live = deployment
    }

    func bundle(hash: String) -> String? {
        byHash[hash]?.bundle
    }

    func analysis(hash: String, environment: String) -> DeploymentAnalysis? {
        analyses["\(hash)/\(environment)"]
    }

    func setAnalysis(_ analysis: DeploymentAnalysis, hash: String, environment: String) {
        analyses["\(hash)/\(environment)"] = analysis
    }
}
