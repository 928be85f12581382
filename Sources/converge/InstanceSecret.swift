import Foundation
import Protocol

/// The instance secret: 32 random bytes written as 64 hex characters (docs/keys.md). Every process of a
/// cluster shares it; it keys the internal protocol's handshake.
enum InstanceSecret {
    /// `--instance-secret`, else `$INSTANCE_SECRET` (which keeps it out of `ps`), as bytes; nil if neither is set.
    static func given(_ flag: String?) throws -> [UInt8]? {
        try (flag ?? ProcessInfo.processInfo.environment["INSTANCE_SECRET"]).map(parse(hex:))
    }

    /// Like `given`, for roles that cannot work without one.
    static func required(_ flag: String?) throws -> [UInt8] {
        guard let secret = try given(flag) else { throw CLIError("No instance secret: pass --instance-secret or set INSTANCE_SECRET.") }
        return secret
    }

    static func parse(hex: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(hex.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw InstanceSecretError.invalid
        }
        return bytes
    }

    /// A new random secret, as the hex text it is written and passed as.
    static func generateHex() -> String {
        Hex.encode(RandomBytes.system(32))
    }

    /// Reads the secret from `file`, creating it (mode 0600) with a fresh random secret if it does not exist.
    static func loadOrCreate(at file: URL) throws -> [UInt8] {
        if let text = try? String(contentsOf: file, encoding: .utf8) { return try parse(hex: text) }
        let hex = generateHex()
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: Data((hex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw InstanceSecretError.cannotWrite(file.path)
        }
        return try parse(hex: hex)
    }
}

enum InstanceSecretError: Error, CustomStringConvertible {
    case invalid
    case cannotWrite(String)

    var description: String {
        switch self {
        case .invalid: return "the instance secret must be 32 bytes written as 64 hex characters (`converge keys generate-secret` makes one)"
        case .cannotWrite(let path): return "cannot write the instance secret to \(path)"
        }
    }
}
