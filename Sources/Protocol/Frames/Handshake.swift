import Crypto
import NIOCore

/// The start of every connection: the server sends a random challenge, the client answers with an
/// HMAC of it under a key derived from the instance secret, and the server welcomes it or hangs up.
/// Both sides state the protocol version; a mismatch is refused.
public enum Handshake {
    /// Sent in the challenge and the hello; a peer with another version is refused.
    public static let protocolVersion: UInt16 = 1
    /// Bytes of the listener's random challenge.
    public static let nonceSize = 32

    /// The connection key: HMAC-SHA256(instance secret, purpose label), so the raw secret is never used directly.
    public static func connectionKey(instanceSecret: [UInt8]) -> SymmetricKey {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("converge internal protocol".utf8), using: SymmetricKey(data: instanceSecret))
        return SymmetricKey(data: Array(mac))
    }

    /// The listener's challenge frame: the protocol version, then `nonce`.
    public static func challenge(nonce: [UInt8]) -> Frame {
        var body = ByteBuffer()
        body.writeInteger(protocolVersion)
        body.writeBytes(nonce)
        return Frame(kind: MessageKind.challenge.rawValue, requestID: 0, body: body)
    }

    /// `nonceSize` bytes from the system's secure random generator.
    public static func makeNonce() -> [UInt8] {
        RandomBytes.system(nonceSize)
    }

    /// Reads a challenge and builds the client's answer.
    public static func answer(challenge frame: Frame, key: SymmetricKey) throws -> Frame {
        guard frame.kind == MessageKind.challenge.rawValue else { throw ProtocolError.handshakeFailed("expected a challenge") }
        var body = frame.body
        let version = try body.readInteger(as: UInt16.self).orThrow(ProtocolError.truncated("challenge"))
        guard version == protocolVersion else { throw ProtocolError.versionMismatch(expected: protocolVersion, got: version) }
        guard let nonce = body.readBytes(length: nonceSize), body.readableBytes == 0 else {
            throw ProtocolError.malformed("challenge nonce")
        }
        var reply = ByteBuffer()
        reply.writeInteger(protocolVersion)
        reply.writeBytes(Array(HMAC<SHA256>.authenticationCode(for: nonce, using: key)))
        return Frame(kind: MessageKind.hello.rawValue, requestID: 0, body: reply)
    }

    /// Checks the client's answer to `nonce`; throws unless version and HMAC are right.
    public static func verify(hello frame: Frame, nonce: [UInt8], key: SymmetricKey) throws {
        guard frame.kind == MessageKind.hello.rawValue else { throw ProtocolError.handshakeFailed("expected hello, got kind \(frame.kind)") }
        var body = frame.body
        let version = try body.readInteger(as: UInt16.self).orThrow(ProtocolError.truncated("hello"))
        guard version == protocolVersion else { throw ProtocolError.versionMismatch(expected: protocolVersion, got: version) }
        guard let mac = body.readBytes(length: 32), body.readableBytes == 0 else { throw ProtocolError.malformed("hello MAC") }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: nonce, using: key) else {
            throw ProtocolError.handshakeFailed("wrong HMAC: the peer does not hold this instance's secret")
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
