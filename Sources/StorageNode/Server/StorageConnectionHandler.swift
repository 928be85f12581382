import Crypto
import Logging
import NIOCore
import Protocol

/// One client connection: runs the handshake, then turns each request frame into a task on the node
/// and writes its response when ready, so many requests are in flight at once. Invalidations for this
/// connection's subscriptions are pushed as they happen. Anything malformed ends the connection with
/// an error frame; other connections are not affected.
final class StorageConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private let node: StorageNode
    private let connectionID: UInt64
    private let logger: Logger
    // Touched only on the channel's event loop.
    private var state: HandshakeStateMachine
    /// Answers and invalidations, batched; set once the handshake is done.
    private var writer: FrameWriter?

    init(node: StorageNode, key: SymmetricKey, connectionID: UInt64, logger: Logger) {
        self.node = node
        state = HandshakeStateMachine(role: .listener, key: key)
        self.connectionID = connectionID
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        if let challenge = state.connectionOpened() { context.writeAndFlush(wrapOutboundOut(challenge), promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state.received(unwrapInboundIn(data)) {
        case .none, .becomeReady:
            break
        case .send(let frame):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .sendAndBecomeReady(let welcome):
            context.writeAndFlush(wrapOutboundOut(welcome), promise: nil)
            let writer = FrameWriter(channel: context.channel)
            self.writer = writer
            node.attach(connection: connectionID) { invalidation in
                writer.write(StorageResponse.invalidated(invalidation).frame(requestID: 0))
            }
        case .deliver(let frame):
            handle(frame, context: context)
        case .fail(let error, _):
            fail(context: context, error)
        }
    }

    private func handle(_ frame: Frame, context: ChannelHandlerContext) {
        let request: StorageRequest
        do {
            request = try StorageRequest(frame: frame)
        } catch {
            return fail(context: context, error, requestID: frame.requestID)
        }
        let node = self.node, connectionID = self.connectionID, requestID = frame.requestID, writer = self.writer
        if let answer = node.answerAtOnce(request) {
            writer?.write(answer.frame(requestID: requestID))
            return
        }
        Task {
            let response = await node.handle(request, connection: connectionID)
            writer?.write(response.frame(requestID: requestID))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        _ = state.closed()
        let node = self.node, connectionID = self.connectionID
        Task { await node.detach(connection: connectionID) }
        context.fireChannelInactive()
    }

    /// Tells the peer what was wrong, then hangs up (once).
    private func fail(context: ChannelHandlerContext, _ error: Error, requestID: UInt64 = 0) {
        guard state.closed() else { return }
        logger.warning("closing connection \(connectionID): \(error)")
        let response = StorageResponse.error(StorageError(.badRequest, "\(error)"))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(response.frame(requestID: requestID))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
