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
/// calls started before it finish on the old bundle, calls after it use the new one.
actor DeploymentRegistry {
    private(set) var live: Deployment?
    private var byHash: [String: Deployment] = [:]

    func push(_ deployment: Deployment) {
        byHash[deployment.hash] = deployment
        live = deployment
    }

    func bundle(hash: String) -> String? {
        byHash[hash]?.bundle
    }
}
