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

    private enum State {
        case awaitingHello(nonce: [UInt8])
        case ready
        case closed
    }

    private let node: StorageNode
    private let key: SymmetricKey
    private let connectionID: UInt64
    private let logger: Logger
    // Touched only on the channel's event loop.
    private var state: State = .closed
    /// Answers and invalidations, batched; set once the handshake is done.
    private var writer: FrameWriter?

    init(node: StorageNode, key: SymmetricKey, connectionID: UInt64, logger: Logger) {
        self.node = node
        self.key = key
        self.connectionID = connectionID
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let nonce = Handshake.makeNonce()
        state = .awaitingHello(nonce: nonce)
        context.writeAndFlush(wrapOutboundOut(Handshake.challenge(nonce: nonce)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch state {
        case .awaitingHello(let nonce):
            do {
                try Handshake.verify(hello: frame, nonce: nonce, key: key)
            } catch {
                fail(context: context, error)
                return
            }
            state = .ready
            context.writeAndFlush(wrapOutboundOut(Frame(kind: MessageKind.welcome.rawValue, requestID: 0, body: ByteBuffer())), promise: nil)
            let writer = FrameWriter(channel: context.channel)
            self.writer = writer
            node.attach(connection: connectionID) { invalidation in
                writer.write(StorageResponse.invalidated(invalidation).frame(requestID: 0))
            }
        case .ready:
            let request: StorageRequest
            do {
                request = try StorageRequest(frame: frame)
            } catch {
                fail(context: context, error, requestID: frame.requestID)
                return
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
        case .closed:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        let node = self.node, connectionID = self.connectionID
        Task { await node.detach(connection: connectionID) }
        context.fireChannelInactive()
    }

    /// Tells the peer what was wrong, then hangs up.
    private func fail(context: ChannelHandlerContext, _ error: Error, requestID: UInt64 = 0) {
        guard case .closed = state else {
            state = .closed
            logger.warning("closing connection \(connectionID): \(error)")
            let response = StorageResponse.error(StorageError(.badRequest, "\(error)"))
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(response.frame(requestID: requestID))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.close(promise: nil)
    }
}
