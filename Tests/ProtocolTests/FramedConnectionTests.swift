import ConvergeTestSupport
import Crypto
import NIOCore
import NIOEmbedded
import XCTest

@testable import Protocol

/// The framed-connection layer: the handshake as a value (`HandshakeStateMachine`), and `FramePeer`
/// on it over in-memory channels with the frame codec: handshake, questions and answers, and every
/// way a connection ends early.
final class FramedConnectionTests: XCTestCase {
    private let secret = Array("instance secret one".utf8)
    private let otherSecret = Array("instance secret two".utf8)
    private static let question: UInt8 = 200
    private static let answer: UInt8 = 201

    private func key(_ secret: [UInt8]) -> SymmetricKey { Handshake.connectionKey(instanceSecret: secret) }

    // MARK: The handshake as a value

    func testHandshakeListenerChallengesOnceAndWelcomesTheRightAnswer() throws {
        var listener = HandshakeStateMachine(role: .listener, key: key(secret))
        var dialer = HandshakeStateMachine(role: .dialer, key: key(secret))
        XCTAssertNil(dialer.connectionOpened(), "a dialer sends nothing first")
        let challenge = try XCTUnwrap(listener.connectionOpened())
        XCTAssertNil(listener.connectionOpened(), "the challenge is sent once")
        guard case .send(let hello) = dialer.received(challenge) else { return XCTFail("the dialer did not answer") }
        guard case .sendAndBecomeReady(let welcome) = listener.received(hello) else { return XCTFail("the listener did not welcome") }
        XCTAssertTrue(listener.isReady)
        guard case .becomeReady = dialer.received(welcome) else { return XCTFail("the dialer did not become ready") }
        XCTAssertTrue(dialer.isReady)
        let request = Frame(kind: Self.question, requestID: 7, body: ByteBuffer())
        guard case .deliver(let delivered) = listener.received(request) else { return XCTFail("a ready connection delivers") }
        XCTAssertEqual(delivered.requestID, 7)
    }

    func testHandshakeListenerRefusesAnAnswerUnderAnotherSecretAndLetsNothingThroughAfter() throws {
        var listener = HandshakeStateMachine(role: .listener, key: key(secret))
        var dialer = HandshakeStateMachine(role: .dialer, key: key(otherSecret))
        let challenge = try XCTUnwrap(listener.connectionOpened())
        guard case .send(let hello) = dialer.received(challenge) else { return XCTFail("the dialer did not answer") }
        guard case .fail(.handshakeFailed, nil) = listener.received(hello) else { return XCTFail("a wrong HMAC was accepted") }
        XCTAssertFalse(listener.isReady)
        guard case .none = listener.received(Frame(kind: Self.question, requestID: 1, body: ByteBuffer())) else {
            return XCTFail("a frame got through after the handshake failed")
        }
        XCTAssertTrue(listener.closed(), "the owner closes once after a failure")
        XCTAssertFalse(listener.closed())
    }

    func testHandshakeNoFrameIsDeliveredBeforeTheHandshake() {
        var listener = HandshakeStateMachine(role: .listener, key: key(secret))
        _ = listener.connectionOpened()
        guard case .fail(.handshakeFailed, _) = listener.received(Frame(kind: Self.question, requestID: 1, body: ByteBuffer())) else {
            return XCTFail("a request was taken for the hello")
        }
        var dialer = HandshakeStateMachine(role: .dialer, key: key(secret))
        guard case .fail(.handshakeFailed, _) = dialer.received(Frame(kind: Self.question, requestID: 1, body: ByteBuffer())) else {
            return XCTFail("a request was taken for the challenge")
        }
    }

    func testHandshakeDialerRefusesATruncatedChallengeAndAnotherVersion() {
        var truncated = HandshakeStateMachine(role: .dialer, key: key(secret))
        var cut = Handshake.challenge(nonce: Handshake.makeNonce())
        cut.body = cut.body.getSlice(at: cut.body.readerIndex, length: 10)!
        guard case .fail(.malformed, _) = truncated.received(cut) else { return XCTFail("a truncated challenge was answered") }

        var versioned = HandshakeStateMachine(role: .dialer, key: key(secret))
        var body = ByteBuffer()
        body.writeInteger(Handshake.protocolVersion + 1)
        body.writeBytes(Handshake.makeNonce())
        let future = Frame(kind: MessageKind.challenge.rawValue, requestID: 0, body: body)
        guard case .fail(.versionMismatch(expected: Handshake.protocolVersion, got: Handshake.protocolVersion + 1), _) = versioned.received(future) else {
            return XCTFail("a challenge of another version was answered")
        }
    }

    func testHandshakeDialerHandsOnTheListenersRefusal() throws {
        var dialer = HandshakeStateMachine(role: .dialer, key: key(secret))
        guard case .send = dialer.received(Handshake.challenge(nonce: Handshake.makeNonce())) else { return XCTFail("no answer") }
        let refusal = Frame(kind: 99, requestID: 0, body: ByteBuffer(string: "go away"))
        guard case .fail(.handshakeFailed, let handed?) = dialer.received(refusal) else { return XCTFail("the refusal was not handed on") }
        XCTAssertEqual(handed.kind, 99)
        XCTAssertEqual(String(buffer: handed.body), "go away")
    }

    // MARK: FramePeer over in-memory channels

    /// A peer on an in-memory channel with the frame codec (frames up to 1 KiB), and what reached its
    /// callbacks: `onClose` once per close, with the error's description or "nil".
    private final class Side: Sendable {
        let end: InMemoryFrameEnd
        let peer: FramePeer
        private let requests = Locked<[Frame]>([])
        private let closed = Locked<[String]>([])
        var received: [Frame] { requests.value }
        var closes: [String] { closed.value }
        var channel: NIOAsyncTestingChannel { end.channel }

        init(role: FramePeer.Role, secret: [UInt8]) async throws {
            let channel = NIOAsyncTestingChannel()
            let (requests, closed) = (requests, closed)
            peer = FramePeer(role: role, instanceSecret: secret, eventLoop: channel.eventLoop, isAnswer: { $0 == FramedConnectionTests.answer },
                             onRequest: { frame in requests.withLock { $0.append(frame) } },
                             onClose: { error in closed.withLock { $0.append(error.map { "\($0)" } ?? "nil") } })
            end = try await InMemoryFrameEnd(channel, maxFrameSize: 1024, handler: peer)
        }

        func written() async throws -> [ByteBuffer] { try await end.written() }
        func receive(_ bytes: ByteBuffer) async { await end.receive(bytes) }
        var isActive: Bool { get async throws { try await end.isActive } }
        func outcome<T: Sendable>(_ future: EventLoopFuture<T>) async throws -> Result<T, Error>? { try await end.outcome(future) }
    }

    /// Moves bytes between the two sides until neither has more to say.
    private func pump(_ a: Side, _ b: Side) async throws {
        while true {
            let fromA = try await a.written(), fromB = try await b.written()
            if fromA.isEmpty, fromB.isEmpty { return }
            for bytes in fromA { await b.receive(bytes) }
            for bytes in fromB { await a.receive(bytes) }
        }
    }

    /// Pumps until `done` holds (an `ask` runs in a task of its own and goes through the loop), up to 5 s.
    private func pump(_ a: Side, _ b: Side, until done: () -> Bool) async throws {
        for _ in 0..<1000 where !done() {
            try await pump(a, b)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// `ask` from a task of its own, its outcome in the box.
    private func ask(_ side: Side, body: String) -> Locked<Result<Frame, Error>?> {
        let box = Locked<Result<Frame, Error>?>(nil)
        let (peer, kind) = (side.peer, Self.question)
        Task {
            do {
                let answer = try await peer.ask { Frame(kind: kind, requestID: $0, body: ByteBuffer(string: body)) }
                box.withLock { $0 = .success(answer) }
            } catch {
                box.withLock { $0 = .failure(error) }
            }
        }
        return box
    }

    private func connectedPair() async throws -> (listener: Side, dialer: Side) {
        let listener = try await Side(role: .listener, secret: secret)
        let dialer = try await Side(role: .dialer, secret: secret)
        try await pump(listener, dialer)
        let (listenerReady, dialerReady) = (try await listener.outcome(listener.peer.ready.futureResult), try await dialer.outcome(dialer.peer.ready.futureResult))
        XCTAssertNotNil(try listenerReady?.get())
        XCTAssertNotNil(try dialerReady?.get())
        return (listener, dialer)
    }

    private func frameBytes(_ frame: Frame) -> ByteBuffer {
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        return buffer
    }

    func testFramePeerQuestionsAndAnswersAreMatchedByRequestID() async throws {
        let (listener, dialer) = try await connectedPair()
        let first = ask(dialer, body: "first"), second = ask(dialer, body: "second")
        try await pump(listener, dialer) { listener.received.count == 2 }
        let questions = listener.received
        XCTAssertEqual(Set(questions.map { String(buffer: $0.body) }), ["first", "second"])
        XCTAssertNotEqual(questions[0].requestID, questions[1].requestID)
        // Answered in the other order: each answer reaches the question of its request ID.
        for question in questions.reversed() {
            listener.peer.send(Frame(kind: Self.answer, requestID: question.requestID, body: ByteBuffer(string: "re: " + String(buffer: question.body))))
        }
        try await pump(listener, dialer) { first.value != nil && second.value != nil }
        XCTAssertEqual(try first.value.map { String(buffer: try $0.get().body) }, "re: first")
        XCTAssertEqual(try second.value.map { String(buffer: try $0.get().body) }, "re: second")
    }

    func testFramePeerWrongSecretClosesTheListenerAndFailsReady() async throws {
        let listener = try await Side(role: .listener, secret: secret)
        let dialer = try await Side(role: .dialer, secret: otherSecret)
        try await pump(listener, dialer)
        guard case .failure(ProtocolError.handshakeFailed)? = try await listener.outcome(listener.peer.ready.futureResult) else {
            return XCTFail("the listener accepted another secret's answer")
        }
        let active = try await listener.isActive
        XCTAssertFalse(active, "the listener hung up")
        XCTAssertEqual(listener.closes.count, 1)
        XCTAssertTrue(listener.received.isEmpty)
    }

    func testFramePeerCloseMidHandshakeFailsReady() async throws {
        let listener = try await Side(role: .listener, secret: secret)
        let dialer = try await Side(role: .dialer, secret: secret)
        // The dialer gets the challenge and answers, but the connection ends before the welcome.
        for bytes in try await listener.written() { await dialer.receive(bytes) }
        _ = try await dialer.channel.close()
        guard case .failure(ProtocolError.connectionClosed)? = try await dialer.outcome(dialer.peer.ready.futureResult) else {
            return XCTFail("ready did not fail with the close")
        }
        XCTAssertEqual(dialer.closes, ["nil"])
    }

    func testFramePeerTruncatedFrameAtCloseFailsWhatWaits() async throws {
        let (listener, dialer) = try await connectedPair()
        let asked = ask(dialer, body: "")
        try await pump(listener, dialer) { !listener.received.isEmpty }
        // Half an answer, then the connection ends.
        let whole = frameBytes(Frame(kind: Self.answer, requestID: listener.received[0].requestID, body: ByteBuffer(string: "cut short")))
        await dialer.receive(whole.getSlice(at: 0, length: whole.readableBytes - 4)!)
        _ = try? await dialer.channel.close()
        try await pump(listener, dialer) { asked.value != nil }
        guard case .failure(ProtocolError.truncated)? = asked.value else { return XCTFail("got \(String(describing: asked.value))") }
    }

    func testFramePeerOversizedFrameClosesTheConnection() async throws {
        let (listener, _) = try await connectedPair()
        var header = ByteBuffer()
        header.writeInteger(UInt32(1 << 20))
        header.writeInteger(Self.question)
        await listener.receive(header)
        let active = try await listener.isActive
        XCTAssertFalse(active)
        XCTAssertEqual(listener.closes, ["\(ProtocolError.frameTooLarge(length: 1 << 20, limit: 1024))"])
        XCTAssertTrue(listener.received.isEmpty)
    }

    func testFramePeerAnswerToNoQuestionClosesTheConnection() async throws {
        let (_, dialer) = try await connectedPair()
        await dialer.receive(frameBytes(Frame(kind: Self.answer, requestID: 99, body: ByteBuffer())))
        let active = try await dialer.isActive
        XCTAssertFalse(active)
        XCTAssertEqual(dialer.closes, ["\(ProtocolError.unexpectedAnswer(requestID: 99))"])
        // A question asked after the close fails at once instead of waiting forever.
        let late = ask(dialer, body: "late")
        for _ in 0..<1000 where late.value == nil {
            await dialer.channel.testingEventLoop.run()
            try await Task.sleep(for: .milliseconds(5))
        }
        guard case .failure(ProtocolError.unexpectedAnswer(requestID: 99))? = late.value else { return XCTFail("got \(String(describing: late.value))") }
    }
}
