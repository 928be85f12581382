import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A lean client of the Convex sync protocol: sends JSON text, and hands every server message to
/// `messages` as its raw text. It parses nothing itself, and it is a bare NIO pipeline (HTTP upgrade,
/// WebSocket frames, one handler) whose event loop yields each message straight to `messages`, so
/// that the load it puts on the machine it shares with the deployment is small: one wake-up of the
/// reading task per message, one hop to the event loop per send. `SyncMessage` reads what a workload
/// needs.
final class SyncConnection: Sendable {
    let messages: AsyncStream<String>
    private let delivered: AsyncStream<String>.Continuation
    private let state: Mutex<State>

    private enum State {
        /// Sends made before the upgrade completed, in order.
        case connecting(pending: [String])
        case open(Channel, NIOLoopBound<SyncFrameHandler>)
        case closed
    }

    /// The biggest message the harness accepts (a Transition with many results).
    static let maxMessageBytes = 64 << 20

    /// `connect` is the first message: a new client's `Connect` unless given (a reconnect's).
    init(url: String, connect: String = SyncMessage.connect()) {
        (messages, delivered) = AsyncStream.makeStream(of: String.self)
        state = Mutex(.connecting(pending: [connect]))
        guard let parsed = URL(string: url), let host = parsed.host else {
            delivered.finish()
            return
        }
        let port = parsed.port ?? 80
        let path = parsed.path.hasSuffix("/") ? parsed.path + "api/sync" : parsed.path + "/api/sync"
        let upgraded: @Sendable (Channel, HTTPResponseHead) -> EventLoopFuture<Void> = { [self] channel, _ in
            channel.eventLoop.makeCompletedFuture {
                let handler = SyncFrameHandler(delivered: delivered)
                try channel.pipeline.syncOperations.addHandler(handler)
                opened(channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
            }
        }
        ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: Self.maxMessageBytes, upgradePipelineHandler: upgraded)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(UpgradeRequest(host: "\(host):\(port)", path: path))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    channel.closeFuture.whenComplete { _ in self.delivered.finish() }
                case .failure:
                    state.withLock { $0 = .closed }
                    delivered.finish()
                }
            }
    }

    /// Runs on the event loop once the socket speaks WebSocket: what was sent meanwhile goes first.
    private func opened(_ channel: Channel, _ handler: NIOLoopBound<SyncFrameHandler>) {
        let pending: [String]? = state.withLock { state in
            guard case .connecting(let pending) = state else { return nil }
            state = .open(channel, handler)
            return pending
        }
        guard let pending else {
            channel.close(promise: nil)
            return
        }
        for text in pending { channel.write(Self.frame(text), promise: nil) }
        channel.flush()
    }

    func send(_ json: String) {
        let channel: Channel? = state.withLock { state in
            switch state {
            case .connecting(var pending):
                pending.append(json)
                state = .connecting(pending: pending)
                return nil
            case .open(let channel, _):
                return channel
            case .closed:
                return nil
            }
        }
        channel?.writeAndFlush(Self.frame(json), promise: nil)
    }

    /// Hands every later message to `consumer` on the socket's event loop, where it arrives, instead
    /// of to `messages`; then runs `start` there. `consumer` hears `.closed` once the socket is gone.
    /// For a closed loop that sends its next request right from there (see `MutationLoop`). Returns
    /// false if the socket is not open.
    func consumeOnEventLoop(_ consumer: @escaping @Sendable (SyncSocketEvent) -> Void, then start: @escaping @Sendable () -> Void) -> Bool {
        let open: (Channel, NIOLoopBound<SyncFrameHandler>)? = state.withLock { state in
            if case .open(let channel, let handler) = state { return (channel, handler) }
            return nil
        }
        guard let (channel, handler) = open else { return false }
        channel.eventLoop.execute {
            handler.value.consumer = consumer
            if !channel.isActive { consumer(.closed) }
            start()
        }
        return true
    }

    func close() {
        let channel: Channel? = state.withLock { state in
            defer { state = .closed }
            if case .open(let channel, _) = state { return channel }
            return nil
        }
        channel?.close(promise: nil)
        delivered.finish()
    }

    /// A client's frames are masked (RFC 6455 §5.3).
    private static func frame(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
    }
}

/// Asks the server to upgrade to WebSocket as soon as the socket is up, then leaves the pipeline.
private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let host: String
    private let path: String

    init(host: String, path: String) {
        self.host = host
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        context.fireChannelActive()
    }
}

/// What a consumer on the event loop hears from its socket.
enum SyncSocketEvent {
    case message(String)
    case closed
}

/// Hands each text message to the connection's stream (or its consumer on the event loop), answers
/// pings, and closes on a close frame.
private final class SyncFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let delivered: AsyncStream<String>.Continuation
    var consumer: ((SyncSocketEvent) -> Void)?
    /// A text message arriving in several frames, so far.
    private var fragments: ByteBuffer?

    init(delivered: AsyncStream<String>.Continuation) {
        self.delivered = delivered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if frame.fin { deliver(frame.unmaskedData) } else { fragments = frame.unmaskedData }
        case .continuation:
            guard var message = fragments else { return }
            var data = frame.unmaskedData
            message.writeBuffer(&data)
            fragments = frame.fin ? nil : message
            if frame.fin { deliver(message) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    // `messages` ends with the channel's close future (see `SyncConnection.init`), which also covers
    // a socket that closes before the upgrade.
    func channelInactive(context: ChannelHandlerContext) {
        consumer?(.closed)
        consumer = nil
        context.fireChannelInactive()
    }

    private func deliver(_ buffer: ByteBuffer) {
        if let consumer { consumer(.message(String(buffer: buffer))) } else { delivered.yield(String(buffer: buffer)) }
    }
}

/// A connection's messages, read by one task at a time. A new inbox of the same connection goes on
/// where the last one stopped.
struct SyncInbox {
    private var iterator: AsyncStream<String>.Iterator

    init(_ connection: SyncConnection) {
        iterator = connection.messages.makeAsyncIterator()
    }

    /// The next message, or nil once the socket has closed.
    mutating func next() async -> String? {
        await iterator.next()
    }

    /// Reads until a message of `type`; nil if the socket closes first.
    mutating func next(ofType type: StaticString) async -> String? {
        while let message = await iterator.next() {
            if SyncMessage.hasType(message, type) { return message }
        }
        return nil
    }

    /// Waits for the response to a mutation sent alone on this socket and then for the Transition
    /// after it, as the official clients do before they resolve the mutation's promise. Returns the
    /// response, or nil if the socket closed.
    mutating func mutationSettled() async -> String? {
        guard let response = await next(ofType: "MutationResponse") else { return nil }
        guard await next(ofType: "Transition") != nil else { return nil }
        return response
    }

    /// `mutationSettled`, for a mutation that must succeed: throws what went wrong otherwise.
    mutating func mutationSucceeded() async throws {
        guard let response = await mutationSettled() else { throw BenchFailure("the socket closed") }
        guard SyncMessage.succeeded(response) else { throw BenchFailure("the mutation failed: \(SyncMessage.mutationError(response))") }
    }
}
