import Crypto
import NIOCore
import XCTest

@testable import Protocol

/// The connection handshake: challenge (version + nonce), hello (version + HMAC of the nonce), verify.
final class HandshakeTests: XCTestCase {
    private let secret = Array("instance secret one".utf8)
    private let otherSecret = Array("instance secret two".utf8)

    private func body(_ version: UInt16, _ rest: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeBytes(rest)
        return buffer
    }

    func testCorrectAnswerVerifies() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let nonce = Handshake.makeNonce()
        let challenge = Handshake.challenge(nonce: nonce)
        let hello = try Handshake.answer(challenge: challenge, key: key)
        XCTAssertNoThrow(try Handshake.verify(hello: hello, nonce: nonce, key: key))
    }

    func testAnswerFromAnotherSecretFailsWithHandshakeFailed() throws {
        let nonce = Handshake.makeNonce()
        let hello = try Handshake.answer(challenge: Handshake.challenge(nonce: nonce), key: Handshake.connectionKey(instanceSecret: otherSecret))
        XCTAssertThrowsError(try Handshake.verify(hello: hello, nonce: nonce, key: Handshake.connectionKey(instanceSecret: secret))) { error in
            guard case .handshakeFailed = error as? ProtocolError else { return XCTFail("got \(error)") }
        }
    }

    func testAnswerToAnotherNonceFails() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let hello = try Handshake.answer(challenge: Handshake.challenge(nonce: Handshake.makeNonce()), key: key)
        XCTAssertThrowsError(try Handshake.verify(hello: hello, nonce: Handshake.makeNonce(), key: key)) { error in
            guard case .handshakeFailed = error as? ProtocolError else { return XCTFail("got \(error)") }
        }
    }

    func testTamperedMACFails() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let nonce = Handshake.makeNonce()
        let hello = try Handshake.answer(challenge: Handshake.challenge(nonce: nonce), key: key)
        var bytes = hello.body.bytesView
        for i in [2, 17, bytes.count - 1] {
            bytes[i] ^= 0x01
            let tampered = Frame(kind: hello.kind, requestID: 0, body: ByteBuffer(bytes: bytes))
            XCTAssertThrowsError(try Handshake.verify(hello: tampered, nonce: nonce, key: key)) { error in
                guard case .handshakeFailed = error as? ProtocolError else { return XCTFail("got \(error)") }
            }
            bytes[i] ^= 0x01
        }
    }

    func testChallengeAndHelloLayout() throws {
        let nonce = [UInt8](repeating: 0xAB, count: Handshake.nonceSize)
        let challenge = Handshake.challenge(nonce: nonce)
        XCTAssertEqual(challenge.kind, MessageKind.challenge.rawValue)
        XCTAssertEqual(challenge.requestID, 0)
        XCTAssertEqual(challenge.body.bytesView, [0, 1] + nonce)

        let key = Handshake.connectionKey(instanceSecret: secret)
        let hello = try Handshake.answer(challenge: challenge, key: key)
        XCTAssertEqual(hello.kind, MessageKind.hello.rawValue)
        XCTAssertEqual(hello.requestID, 0)
        let expectedMAC = Array(HMAC<SHA256>.authenticationCode(for: nonce, using: key))
        XCTAssertEqual(hello.body.bytesView, [0, 1] + expectedMAC)
    }

    func testConnectionKeyIsDerivedNotTheRawSecret() {
        let key = Handshake.connectionKey(instanceSecret: secret)
        XCTAssertEqual(key, Handshake.connectionKey(instanceSecret: secret))
        XCTAssertNotEqual(key, Handshake.connectionKey(instanceSecret: otherSecret))
        XCTAssertNotEqual(key, SymmetricKey(data: secret))
        let expected = HMAC<SHA256>.authenticationCode(for: Array("converge internal protocol".utf8), using: SymmetricKey(data: secret))
        XCTAssertEqual(key, SymmetricKey(data: Array(expected)))
    }

    func testNoncesAreFreshAndFullLength() {
        let a = Handshake.makeNonce(), b = Handshake.makeNonce()
        XCTAssertEqual(a.count, Handshake.nonceSize)
        XCTAssertEqual(b.count, Handshake.nonceSize)
        XCTAssertNotEqual(a, b)
    }

    func testChallengeWithWrongVersionIsAVersionMismatch() {
        let challenge = Frame(kind: MessageKind.challenge.rawValue, requestID: 0, body: body(2, Handshake.makeNonce()))
        XCTAssertThrowsError(try Handshake.answer(challenge: challenge, key: Handshake.connectionKey(instanceSecret: secret)),
                             equalTo: ProtocolError.versionMismatch(expected: Handshake.protocolVersion, got: 2))
    }

    func testHelloWithWrongVersionIsAVersionMismatch() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let nonce = Handshake.makeNonce()
        let mac = Array(HMAC<SHA256>.authenticationCode(for: nonce, using: key))
        let hello = Frame(kind: MessageKind.hello.rawValue, requestID: 0, body: body(0, mac))
        XCTAssertThrowsError(try Handshake.verify(hello: hello, nonce: nonce, key: key),
                             equalTo: ProtocolError.versionMismatch(expected: Handshake.protocolVersion, got: 0))
        // The same MAC with the right version passes, so it is the version that was refused.
        let good = Frame(kind: MessageKind.hello.rawValue, requestID: 0, body: body(Handshake.protocolVersion, mac))
        XCTAssertNoThrow(try Handshake.verify(hello: good, nonce: nonce, key: key))
    }

    func testTruncatedOrOverlongChallengeThrows() {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let full = Handshake.challenge(nonce: Handshake.makeNonce()).body.bytesView
        for n in 0..<full.count {
            let frame = Frame(kind: MessageKind.challenge.rawValue, requestID: 0, body: ByteBuffer(bytes: full[0..<n]))
            XCTAssertThrowsProtocolError(try Handshake.answer(challenge: frame, key: key), "challenge of \(n) bytes")
        }
        let long = Frame(kind: MessageKind.challenge.rawValue, requestID: 0, body: ByteBuffer(bytes: full + [0]))
        XCTAssertThrowsProtocolError(try Handshake.answer(challenge: long, key: key))
    }

    func testTruncatedOrOverlongHelloThrows() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let nonce = Handshake.makeNonce()
        let full = try Handshake.answer(challenge: Handshake.challenge(nonce: nonce), key: key).body.bytesView
        for n in 0..<full.count {
            let frame = Frame(kind: MessageKind.hello.rawValue, requestID: 0, body: ByteBuffer(bytes: full[0..<n]))
            XCTAssertThrowsProtocolError(try Handshake.verify(hello: frame, nonce: nonce, key: key), "hello of \(n) bytes")
        }
        let long = Frame(kind: MessageKind.hello.rawValue, requestID: 0, body: ByteBuffer(bytes: full + [0]))
        XCTAssertThrowsProtocolError(try Handshake.verify(hello: long, nonce: nonce, key: key))
    }

    func testWrongFrameKindsAreRefused() throws {
        let key = Handshake.connectionKey(instanceSecret: secret)
        let nonce = Handshake.makeNonce()
        let challenge = Handshake.challenge(nonce: nonce)
        let hello = try Handshake.answer(challenge: challenge, key: key)
        XCTAssertThrowsError(try Handshake.answer(challenge: hello, key: key)) { error in
            guard case .handshakeFailed = error as? ProtocolError else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try Handshake.verify(hello: challenge, nonce: nonce, key: key)) { error in
            guard case .handshakeFailed = error as? ProtocolError else { return XCTFail("got \(error)") }
        }
    }
}
