import Crypto
import NIOCore
import Protocol

/// The client end of one connection: answers the handshake (`HandshakeStateMachine`), matches
/// responses to waiting requests by request ID (`PendingRequests`), and forwards invalidation pushes.
/// A response to no request closes the connection, unless it is an error: that is the node hanging
/// up, and the connection fails with it. Lives on the channel's event loop.
final class StorageClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private let handshake: EventLoopPromise<Void>
    private let invalidations: AsyncStream<Invalidation>.Continuation
    let health = ConnectionHealth()
    private var state: HandshakeStateMachine
    private var pending = PendingRequests<StorageResponse>()

    init(key: SymmetricKey, handshake: EventLoopPromise<Void>, invalidations: AsyncStream<Invalidation>.Continuation) {
        state = HandshakeStateMachine(role: .dialer, key: key)
        self.handshake = handshake
        self.invalidations = invalidations
    }

    /// Sends a request; call on the event loop.
    func send(_ frame: Frame, promise: EventLoopPromise<StorageResponse>, writer: FrameWriter) {
        if pending.expect(frame.requestID, promise) { writer.write(frame) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state.received(unwrapInboundIn(data)) {
        case .none:
            break
        case .send(let frame), .sendAndBecomeReady(let frame):
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .becomeReady:
            handshake.succeed()
        case .deliver(let frame):
            deliver(frame, context: context)
        case let .fail(error, refusal):
            // The node says why it refused in an error response.
            if let refusal, let response = try? StorageResponse(frame: refusal) {
                fail(context: context, ProtocolError.handshakeFailed("server refused: \(response)"))
            } else {
                fail(context: context, error)
            }
        }
    }

    private func deliver(_ frame: Frame, context: ChannelHandlerContext) {
        let response: StorageResponse
        do {
            response = try StorageResponse(frame: frame)
        } catch {
            return fail(context: context, error)
        }
        if case .invalidated(let invalidation) = response {
            invalidations.yield(invalidation)
        } else if let request = pending.answered(frame.requestID) {
            request.succeed(response)
        } else if case .error(let error) = response {
            // An error that answers no request: the server is hanging up on us.
            fail(context: context, error)
        } else {
            fail(context: context, ProtocolError.unexpectedAnswer(requestID: frame.requestID))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context: context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, StorageClientError.connectionClosed)
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: Error) {
        guard state.closed() else { return }
        health.markFailed()
        handshake.fail(error)
        pending.fail(error)
        invalidations.finish()
        context.close(promise: nil)
    }
}
