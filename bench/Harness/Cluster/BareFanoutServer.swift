import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The floor `fanout` is held to: a bare SwiftNIO WebSocket server that speaks just enough of the sync
/// protocol for the workload's sockets, and does nothing else. A socket's query set change is answered
/// with a Transition carrying a document; a mutation from the writer with its response, then a
/// Transition carrying the new value goes to every subscribed socket, the same bytes to each, as the
/// coordinator sends one shared result. No database, no function, no sessions: what is left is the
/// cost of the sockets themselves, on this machine, in this run.
final class BareFanoutServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let subscribers = BareSubscribers()

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    init() async throws {
        // As many event loops as the coordinator's HTTP server has: one per core.
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let subscribers = self.subscribers
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 20,
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture([:]) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(BareSyncHandler(subscribers: subscribers))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// The sockets that have subscribed, by channel.
private final class BareSubscribers: Sendable {
    let channels = Mutex<[ObjectIdentifier: Channel]>([:])
}

/// One socket of `BareFanoutServer`. Confined to its channel's event loop.
private final class BareSyncHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let subscribers: BareSubscribers
    private var version = 0

    init(subscribers: BareSubscribers) {
        self.subscribers = subscribers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            handle(data.readString(length: data.readableBytes) ?? "", context: context)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        _ = subscribers.channels.withLock { $0.removeValue(forKey: ObjectIdentifier(context.channel)) }
        context.fireChannelInactive()
    }

    private func handle(_ text: String, context: ChannelHandlerContext) {
        if SyncMessage.hasType(text, "ModifyQuerySet") {
            version += 1
            let channel = context.channel
            subscribers.channels.withLock { $0[ObjectIdentifier(channel)] = channel }
            send(Self.transition(querySet: version, value: "seeded"), context: context)
        } else if SyncMessage.hasType(text, "Mutation") {
            // The value the writer set: the round's marker, which the subscribers look for.
            let value = text.firstMatch(of: /"value":"([^"]*)"/).map { String($0.1) } ?? ""
            let requestId = text.firstMatch(of: /"requestId":(\d+)/).map { String($0.1) } ?? "0"
            send(#"{"type":"MutationResponse","requestId":\#(requestId),"success":true,"result":null,"ts":"AAAAAAAAAAA=","logLines":[]}"#, context: context)
            send(Self.transition(querySet: version, value: ""), context: context)
            var bytes = context.channel.allocator.buffer(capacity: 512)
            bytes.writeString(Self.transition(querySet: 1, value: value))
            let frame = WebSocketFrame(fin: true, opcode: .text, data: bytes)
            for channel in subscribers.channels.withLock({ Array($0.values) }) { channel.writeAndFlush(frame, promise: nil) }
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        var bytes = context.channel.allocator.buffer(capacity: text.utf8.count)
        bytes.writeString(text)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: bytes)), promise: nil)
    }

    /// A Transition shaped like the coordinator's for `bench:doc`: one query's document.
    private static func transition(querySet: Int, value: String) -> String {
        let document = #"{"_creationTime":1796666899822.0,"_id":"k57b9ztr1p2a8g4a3d1q2x3v4n6m5c8e","key":1000000,"value":"\#(value)"}"#
        return #"{"type":"Transition","startVersion":{"querySet":\#(querySet - 1),"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":\#(querySet),"identity":0,"ts":"AAAAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0,"value":\#(document),"logLines":[],"journal":null}],"clientClockSkew":null,"serverTs":0}"#
    }
}
