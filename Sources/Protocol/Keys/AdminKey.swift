import Crypto
import CryptoExtras
import Foundation

/// Convex admin keys (docs/keys.md, Admin keys): `<instance name>|<hex>`, where the hex is
/// `0x01 ‖ nonce(12) ‖ AES-128-GCM-SIV(protobuf AdminKey) ‖ tag(16)` under a key derived from the
/// instance secret, with the version byte as associated data.
public struct AdminKey: Hashable, Sendable {
    /// Whom the key acts as: a deployment member, or the system.
    public enum Identity: Hashable, Sendable {
        /// A deployment admin; member 0 is the generic admin key.
        case member(UInt64)
        case system
    }

    /// The deployment the key is for; the key's text starts with it and `|`.
    public var instanceName: String
    /// When the key was issued, in seconds since the Unix epoch; 0 is refused when verifying.
    public var issuedSeconds: UInt64
    public var identity: Identity
    public var isReadOnly: Bool

    public init(instanceName: String, issuedSeconds: UInt64, identity: Identity = .member(0), isReadOnly: Bool = false) {
        self.instanceName = instanceName
        self.issuedSeconds = issuedSeconds
        self.identity = identity
        self.isReadOnly = isReadOnly
    }

    private static let version: UInt8 = 1

    /// The key's text, sealed with the instance secret.
    public func encoded(instanceSecret: [UInt8]) throws -> String {
        let key = KeyPurpose.adminKey.key(from: instanceSecret)
        let sealed = try AES.GCM._SIV.seal(protobuf, using: key, nonce: AES.GCM._SIV.Nonce(), authenticating: [Self.version])
        let bytes = [Self.version] + Array(sealed.combined)
        return "\(instanceName)|" + Hex.encode(bytes)
    }

    /// Opens and checks a key for the deployment `instanceName`; throws unless it was sealed with this
    /// secret for this instance, names an identity and has an issue time.
    public init(verifying text: String, instanceName: String, instanceSecret: [UInt8]) throws {
        var name: String?
        var sealedHex = Substring(text)
        if let bar = text.firstIndex(of: "|") {
            var prefix = text[..<bar]
            if let colon = prefix.firstIndex(of: ":") { prefix = prefix[prefix.index(after: colon)...] }
            name = String(prefix)
            sealedHex = text[text.index(after: bar)...]
        }
        guard let bytes = Hex.decode(sealedHex), bytes.count > 1 + 12 + 16, bytes[0] == Self.version else {
            throw AdminKeyError.malformed
        }
        let plaintext: Data
        do {
            let box = try AES.GCM._SIV.SealedBox(combined: bytes.dropFirst())
            plaintext = try AES.GCM._SIV.open(box, using: KeyPurpose.adminKey.key(from: instanceSecret), authenticating: [Self.version])
        } catch {
            throw AdminKeyError.notSealedWithThisSecret
        }
        let fields = try Self.parse(Array(plaintext))
        guard let keyName = name ?? fields.instanceName, keyName == instanceName else { throw AdminKeyError.wrongInstance }
        guard let issued = fields.issued, issued != 0, let identity = fields.identity else { throw AdminKeyError.malformed }
        self.init(instanceName: keyName, issuedSeconds: issued, identity: identity, isReadOnly: fields.readOnly)
    }

    // MARK: The AdminKey protobuf: 1 instance_name, 2 issued_s, 3 member_id | 4 system, 5 is_read_only

    private var protobuf: [UInt8] {
        var out: [UInt8] = [0x10]
        out += Self.varint(issuedSeconds)
        switch identity {
        case .member(let id): out += [0x18] + Self.varint(id)
        case .system: out += [0x22, 0x00]
        }
        if isReadOnly { out += [0x28, 0x01] }
        return out
    }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        repeat {
            out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0))
            v >>= 7
        } while v != 0
        return out
    }

    private static func parse(_ bytes: [UInt8]) throws -> (instanceName: String?, issued: UInt64?, identity: Identity?, readOnly: Bool) {
        var i = 0
        func readVarint() throws -> UInt64 {
            var result: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard i < bytes.count else { throw AdminKeyError.malformed }
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7F) << UInt64(shift)
                if b & 0x80 == 0 { return result }
            }
            throw AdminKeyError.malformed
        }
        var name: String?, issued: UInt64?, identity: Identity?, readOnly = false
        while i < bytes.count {
            let tag = try readVarint()
            switch (tag >> 3, tag & 7) {
            case (1, 2), (4, 2):
                let length = Int(try readVarint())
                guard i + length <= bytes.count else { throw AdminKeyError.malformed }
                if tag >> 3 == 1 { name = String(decoding: bytes[i..<(i + length)], as: UTF8.self) } else { identity = .system }
                i += length
            case (2, 0): issued = try readVarint()
            case (3, 0): identity = .member(try readVarint())
            case (5, 0): readOnly = try readVarint() != 0
            case (_, 0): _ = try readVarint()
            default: throw AdminKeyError.malformed
            }
        }
        return (name, issued, identity, readOnly)
    }

}

/// Why `AdminKey(verifying:instanceName:instanceSecret:)` refused a key.
public enum AdminKeyError: Error, Equatable, CustomStringConvertible {
    case malformed
    case notSealedWithThisSecret
    case wrongInstance

    public var description: String {
        switch self {
        case .malformed: return "the admin key is malformed"
        case .notSealedWithThisSecret: return "the admin key was not issued by this deployment"
        case .wrongInstance: return "the admin key belongs to another deployment"
        }
    }
}
