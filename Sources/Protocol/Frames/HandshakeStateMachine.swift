import Crypto
import NIOCore

/// The handshake every connection between Converge processes starts with, as a value: the owner (a
/// channel handler) tells it what happened and does what it answers. The listener sends a challenge
/// when the connection opens; the dialer answers with an HMAC of it (`Handshake`); the listener
/// welcomes a right answer. Until both sides are ready no other frame is let through, and once the
/// connection fails nothing more is.
public struct HandshakeStateMachine {
    /// Which end of the connection this side is.
    public enum Role: Sendable {
        /// Accepted the connection: challenges, and welcomes a right answer.
        case listener
        /// Opened the connection: answers the challenge.
        case dialer
    }

    /// What the owner does next.
    public enum Action {
        case none
        /// Write this frame (the dialer's answer).
        case send(Frame)
        /// Write this frame (the listener's welcome); the connection is ready.
        case sendAndBecomeReady(Frame)
        /// The listener welcomed the dialer: the connection is ready.
        case becomeReady
        /// A frame after the handshake, for the owner to handle.
        case deliver(Frame)
        /// Close the connection. `refusal` is what the listener sent instead of a welcome (the dialer
        /// may read a reason from it).
        case fail(ProtocolError, refusal: Frame?)
    }

    private enum State {
        case idle
        case awaitingHello(nonce: [UInt8])
        case awaitingChallenge
        case awaitingWelcome
        case ready
        /// Told the owner to close; nothing more is let through.
        case failed
        case closed
    }

    public let role: Role
    private let key: SymmetricKey
    private var state: State

    public init(role: Role, key: SymmetricKey) {
        self.role = role
        self.key = key
        state = role == .listener ? .idle : .awaitingChallenge
    }

    /// True once the handshake has succeeded, until the connection fails or closes.
    public var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// The connection is open: the challenge a listener sends, once; nil for a dialer.
    public mutating func connectionOpened(nonce: [UInt8] = Handshake.makeNonce()) -> Frame? {
        guard role == .listener, case .idle = state else { return nil }
        state = .awaitingHello(nonce: nonce)
        return Handshake.challenge(nonce: nonce)
    }

    public mutating func received(_ frame: Frame) -> Action {
        switch state {
        case .idle:
            return fail(.handshakeFailed("a frame before the challenge was sent"))
        case .awaitingHello(let nonce):
            do {
                try Handshake.verify(hello: frame, nonce: nonce, key: key)
            } catch {
                return fail(Self.handshakeError(error))
            }
            state = .ready
            return .sendAndBecomeReady(Frame(kind: MessageKind.welcome.rawValue, requestID: 0, body: ByteBuffer()))
        case .awaitingChallenge:
            do {
                let answer = try Handshake.answer(challenge: frame, key: key)
                state = .awaitingWelcome
                return .send(answer)
            } catch {
                return fail(Self.handshakeError(error))
            }
        case .awaitingWelcome:
            guard frame.kind == MessageKind.welcome.rawValue else {
                return fail(.handshakeFailed("the listener refused the connection (kind \(frame.kind))"), refusal: frame)
            }
            state = .ready
            return .becomeReady
        case .ready:
            return .deliver(frame)
        case .failed, .closed:
            return .none
        }
    }

    /// The connection failed or closed. True the first time: the owner then fails what waits on it.
    public mutating func closed() -> Bool {
        if case .closed = state { return false }
        state = .closed
        return true
    }

    /// What `Handshake` threw (always a `ProtocolError` today), as one.
    private static func handshakeError(_ error: any Error) -> ProtocolError {
        error as? ProtocolError ?? .handshakeFailed("\(error)")
    }

    private mutating func fail(_ error: ProtocolError, refusal: Frame? = nil) -> Action {
        state = .failed
        return .fail(error, refusal: refusal)
    }
}
