import Crypto
import NIOCore
import Synchronization

/// One end of a connection on which both sides ask and answer: the coordinator pushes function calls
/// to a runner, and the runner asks the coordinator for bundles and action callbacks on the same socket.
///
/// Runs the handshake (`HandshakeStateMachine`: the listener challenges, the dialer answers), then
/// hands every incoming question to `onRequest` and matches every answer (a frame whose kind
/// `isAnswer` says so) to the question this side asked with that request ID (`PendingRequests`).
/// Each side numbers its own questions, so the two never collide; an answer to no question closes
/// the connection. Lives on the channel's event loop; `ask` and `send` may be called from anywhere.
public final class FramePeer: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = Frame
    public typealias OutboundOut = Frame
    public typealias Role = HandshakeStateMachine.Role

    private let isAnswer: @Sendable (UInt8) -> Bool
    private let onRequest: @Sendable (Frame) -> Void
    private let onClose: @Sendable (Error?) -> Void
    /// Succeeds when the handshake completes; fails with the reason if the connection closes first.
    public let ready: EventLoopPromise<Void>
    private let nextID = Atomic<UInt64>(1)
    // Touched only on the channel's event loop.
    private var handshake: HandshakeStateMachine
    private var pending = PendingRequests<Frame>()
    // Set once, when the handler joins its pipeline, before any other thread can see the peer.
    private var channel: Channel?
    private var writer: FrameWriter?

    /// `isAnswer` tells answers from questions by frame kind, `onRequest` gets every question, and
    /// `onClose` the error that closed the connection (nil when it simply closed).
    public init(role: Role, instanceSecret: [UInt8], eventLoop: EventLoop, isAnswer: @escaping @Sendable (UInt8) -> Bool,
                onRequest: @escaping @Sendable (Frame) -> Void, onClose: @escaping @Sendable (Error?) -> Void = { _ in }) {
        handshake = HandshakeStateMachine(role: role, key: Handshake.connectionKey(instanceSecret: instanceSecret))
        self.isAnswer = isAnswer
        self.onRequest = onRequest
        self.onClose = onClose
        ready = eventLoop.makePromise()
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        writer = FrameWriter(channel: context.channel)
        if context.channel.isActive { open(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        open(context: context)
        context.fireChannelActive()
    }

    private func open(context: ChannelHandlerContext) {
        if let challenge = handshake.connectionOpened() { context.writeAndFlush(wrapOutboundOut(challenge), promise: nil) }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch handshake.received(unwrapInboundIn(data)) {
        case .none:
            break
        case .send(let frame):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .sendAndBecomeReady(let frame):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            ready.succeed()
        case .becomeReady:
            ready.succeed()
        case .deliver(let frame):
            guard isAnswer(frame.kind) else { return onRequest(frame) }
            guard let question = pending.answered(frame.requestID) else {
                return close(context: context, ProtocolError.unexpectedAnswer(requestID: frame.requestID))
            }
            question.succeed(frame)
        case .fail(let error, _):
            close(context: context, error)
        }
    }

    /// Sends a question and waits for its answer.
    public func ask(_ build: @escaping @Sendable (UInt64) -> Frame) async throws -> Frame {
        guard let channel else { throw ProtocolError.connectionClosed }
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let promise = channel.eventLoop.makePromise(of: Frame.self)
        channel.eventLoop.execute {
            if self.pending.expect(id, promise) { self.writer?.write(build(id)) }
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
        guard handshake.closed() else { return }
        let reason = error ?? ProtocolError.connectionClosed
        ready.fail(reason)
        pending.fail(reason)
        onClose(error)
        context.close(promise: nil)
    }
}
