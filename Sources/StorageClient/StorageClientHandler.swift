import Crypto
import NIOCore
import Protocol
import Synchronization

/// Whether a connection has failed, readable from any thread. Set before the waiting requests are
/// failed, so a caller that gets such an error sees the connection closed, not yet open.
final class ConnectionHealth: Sendable {
    private let failed = Atomic<Bool>(false)

    var isFailed: Bool { failed.load(ordering: .acquiring) }

    func markFailed() { failed.store(true, ordering: .releasing) }
}

/// The client end of one connection: answers the handshake, matches responses to waiting requests by
/// request ID, and forwards invalidation pushes. Lives on the channel's event loop.
final class StorageClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame
    typealias OutboundOut = Frame

    private enum State { case awaitingChallenge, awaitingWelcome, ready, closed }

    private let key: SymmetricKey
    private let handshake: EventLoopPromise<Void>
    private let invalidations: AsyncStream<Invalidation>.Continuation
    let health = ConnectionHealth()
    private var state = State.awaitingChallenge
    private var pending: [UInt64: EventLoopPromise<StorageResponse>] = [:]
    private var closedError: Error?

    init(key: SymmetricKey, handshake: EventLoopPromise<Void>, invalidations: AsyncStream<Invalidation>.Continuation) {
        self.key = key
        self.handshake = handshake
        self.invalidations = invalidations
    }

    /// Sends a request; call on the event loop.
    func send(_ frame: Frame, promise: EventLoopPromise<StorageResponse>, writer: FrameWriter) {
        if let closedError {
            promise.fail(closedError)
            return
        }
        pending[frame.requestID] = promise
        writer.write(frame)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch state {
        case .awaitingChallenge:
            do {
                context.writeAndFlush(wrapOutboundOut(try Handshake.answer(challenge: frame, key: key)), promise: nil)
                state = .awaitingWelcome
            } catch {
                fail(context: context, error)
            }
        case .awaitingWelcome:
            if frame.kind == MessageKind.welcome.rawValue {
                state = .ready
                handshake.succeed()
            } else {
                let reason = (try? StorageResponse(frame: frame)).map { "\($0)" } ?? "kind \(frame.kind)"
                fail(context: context, ProtocolError.handshakeFailed("server refused: \(reason)"))
            }
        case .ready:
            do {
                let response = try StorageResponse(frame: frame)
                if case .invalidated(let invalidation) = response {
                    invalidations.yield(invalidation)
                } else if let promise = pending.removeValue(forKey: frame.requestID) {
                    promise.succeed(response)
                } else if case .error(let error) = response {
                    // An error that answers no request: the server is hanging up on us.
                    fail(context: context, error)
                }
            } catch {
                fail(context: context, error)
            }
        case .closed:
            break
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
        guard state != .closed else { return }
        state = .closed
        health.markFailed()
        closedError = error
        handshake.fail(error)
        for promise in pending.values { promise.fail(error) }
        pending = [:]
        invalidations.finish()
        context.close(promise: nil)
    }
}

public enum StorageClientError: Error, Equatable, CustomStringConvertible {
    case connectionClosed
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .connectionClosed: return "the connection to the storage node closed"
        case .unexpectedResponse(let what): return "unexpected response from the storage node: \(what)"
        }
    }
}
