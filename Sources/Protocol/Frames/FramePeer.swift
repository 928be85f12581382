import Crypto
import NIOCore

/// One end of a connection on which both sides ask and answer: the coordinator pushes function calls
/// to a runner, and the runner asks the coordinator for bundles and action callbacks on the same socket.
///
/// Runs the handshake (the listener challenges, the dialer answers), then hands every incoming question
/// to `onRequest` and matches every answer (a frame whose kind `isAnswer` says so) to the question this
/// side asked with that request ID. Each side numbers its own questions, so the two never collide.
/// Lives on the channel's event loop; `ask` and `answer` may be called from anywhere.
public final class FramePeer: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = Frame
    public typealias OutboundOut = Frame

    public enum Role {
        case listener
        case dialer
    }

    private enum State { case handshaking([UInt8]?), ready, closed }

    private let role: Role
    private let key: SymmetricKey
    private let isAnswer: @Sendable (UInt8) -> Bool
    private let onRequest: @Sendable (Frame) -> Void
    private let onClose: @Sendable (Error?) -> Void
    public let ready: EventLoopPromise<Void>
    private var state = State.handshaking(nil)
    private var channel: Channel?
    private var writer: FrameWriter?
    private var nextID: UInt64 = 1
    private var waiting: [UInt64: EventLoopPromise<Frame>] = [:]
    private var closeError: Error?

    public init(role: Role, instanceSecret: [UInt8], eventLoop: EventLoop, isAnswer: @escaping @Sendable (UInt8) -> Bool,
                onRequest: @escaping @Sendable (Frame) -> Void, onClose: @escaping @Sendable (Error?) -> Void = { _ in }) {
        self.role = role
        self.key = Handshake.connectionKey(instanceSecret: instanceSecret)
        self.isAnswer = isAnswer
        self.onRequest = onRequest
        self.onClose = onClose
        ready = eventLoop.makePromise()
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        writer = FrameWriter(channel: context.channel)
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard case .handshaking(nil) = state, role == .listener else { return }
        let nonce = Handshake.makeNonce()
        state = .handshaking(nonce)
        context.writeAndFlush(wrapOutboundOut(Handshake.challenge(nonce: nonce)), promise: nil)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch state {
        case .handshaking(let nonce):
            do {
                switch role {
                case .listener:
                    guard let nonce else { throw ProtocolError.handshakeFailed("hello before challenge") }
                    try Handshake.verify(hello: frame, nonce: nonce, key: key)
                    context.writeAndFlush(wrapOutboundOut(Frame(kind: MessageKind.welcome.rawValue, requestID: 0, body: ByteBuffer())), promise: nil)
                    becomeReady()
                case .dialer:
                    if frame.kind == MessageKind.challenge.rawValue {
                        context.writeAndFlush(wrapOutboundOut(try Handshake.answer(challenge: frame, key: key)), promise: nil)
                    } else if frame.kind == MessageKind.welcome.rawValue {
                        becomeReady()
                    } else {
                        throw ProtocolError.handshakeFailed("the listener refused: kind \(frame.kind)")
                    }
                }
            } catch {
                close(context: context, error)
            }
        case .ready:
            if isAnswer(frame.kind) {
                waiting.removeValue(forKey: frame.requestID)?.succeed(frame)
            } else {
                onRequest(frame)
            }
        case .closed:
            break
        }
    }

    private func becomeReady() {
        state = .ready
        ready.succeed()
    }

    /// Sends a question and waits for its answer.
    public func ask(_ build: @escaping @Sendable (UInt64) -> Frame) async throws -> Frame {
        guard let channel else { throw ProtocolError.handshakeFailed("not connected") }
        let promise = channel.eventLoop.makePromise(of: Frame.self)
        channel.eventLoop.execute {
            if let closeError = self.closeError {
                promise.fail(closeError)
                return
            }
            let id = self.nextID
            self.nextID += 1
            self.waiting[id] = promise
            self.writer?.write(build(id))
        }
        return try await promise.futureResult.get()
    }

    /// Sends an answer (or any frame that expects none).
    public func send(_ frame: Frame) {
        writer?.write(frame)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        close(context: context, error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        close(context: context, nil)
        context.fireChannelInactive()
    }

    private func close(context: ChannelHandlerContext, _ error: Error?) {
        if case .closed = state { return }
        state = .closed
        let reason = error ?? ProtocolError.connectionClosed
        closeError = reason
        ready.fail(reason)
        for promise in waiting.values { promise.fail(reason) }
        waiting = [:]
        onClose(error)
        context.close(promise: nil)
    }
}
