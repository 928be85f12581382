import Crypto
import Foundation
import Protocol

/// A pushed app: its bundle (what runners evaluate) and the hash runners fetch it by.
public struct Deployment: Sendable {
    public let bundle: String
    /// Hex SHA-256 of the bundle's source; runners verify it when they fetch.
    public let hash: String

    public init(bundle: String) {
        self.bundle = bundle
        hash = SHA256.hash(data: Data(bundle.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The live deployment and the ones runners may still ask for. A push swaps the live one atomically:
/// calls started before it finish on the old bundle, calls after it use the new one. With a file, the
/// live bundle is kept there, so a restarted coordinator serves what was last pushed.
actor DeploymentRegistry {
    private(set) var live: Deployment?
    private var byHash: [String: Deployment] = [:]
    /// What a runner said each bundle defines (`FunctionIsolate.analyze`), once asked.
    private var analyses: [String: Value] = [:]
    private let file: URL?

    init(file: URL?) {
        self.file = file
        if let file, let bundle = try? String(contentsOf: file, encoding: .utf8) {
            let deployment = Deployment(bundle: bundle)
            byHash[deployment.hash] = deployment
            live = deployment
        }
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

    func analysis(hash: String) -> Value? {
        analyses[hash]
    }

    func setAnalysis(_ analysis: Value, hash: String) {
        analyses[hash] = analysis
    }
}
