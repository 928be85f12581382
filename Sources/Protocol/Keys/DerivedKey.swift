import Crypto

/// Keys derived from the instance secret, one per purpose (docs/keys.md, Derived keys): the first 16 bytes of KBKDF in
/// counter mode with HMAC-SHA256 (SP 800-108), `HMAC(secret, BE32(1) ‖ purpose)`. A value sealed
/// for one purpose (an admin key, a page cursor) cannot be opened as another.
public enum KeyPurpose: String, Sendable {
    case adminKey = "admin key"
    case cursor = "cursor"
    case queryJournal = "query journal"

    public func key(from secret: [UInt8]) -> SymmetricKey {
        let mac = HMAC<SHA256>.authenticationCode(for: [0, 0, 0, 1] + Array(rawValue.utf8), using: SymmetricKey(data: secret))
        return SymmetricKey(data: Array(mac).prefix(16))
    }
}
