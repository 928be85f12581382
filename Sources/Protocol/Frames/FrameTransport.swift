import NIOCore
import NIOPosix

/// Listens and dials for frame connections on an `Endpoint`: every channel gets the frame codec and
/// then its handler. The storage node and the coordinator's runner listener accept with it; the
/// storage client and runners dial with it.
public enum FrameTransport {
    /// Binds `endpoint` (a Unix socket file left over from an earlier run is replaced). Each accepted
    /// connection's handler comes from `makeHandler`, on its channel's event loop.
    public static func listen(on endpoint: Endpoint, group: EventLoopGroup, maxFrameSize: Int = Frame.defaultMaxSize,
                              makeHandler: @escaping @Sendable (Channel) throws -> any ChannelHandler) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addCodec(to: channel, maxFrameSize: maxFrameSize, then: try makeHandler(channel))
                }
            }
        switch endpoint {
        case let .tcp(host, port): return try await bootstrap.bind(host: host, port: port).get()
        case let .unix(path): return try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
    }

    /// Connects to `endpoint` on `eventLoop`, with `handler` last in the pipeline.
    public static func connect(to endpoint: Endpoint, on eventLoop: EventLoop, maxFrameSize: Int = Frame.defaultMaxSize,
                               handler: any ChannelHandler & Sendable) async throws -> Channel {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try addCodec(to: channel, maxFrameSize: maxFrameSize, then: handler) }
            }
        switch endpoint {
        case let .tcp(host, port): return try await bootstrap.connect(host: host, port: port).get()
        case let .unix(path): return try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
    }

    /// The frame codec, then `handler`: what every frame connection's pipeline holds.
    public static func addCodec(to channel: Channel, maxFrameSize: Int = Frame.defaultMaxSize, then handler: any ChannelHandler) throws {
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)), MessageToByteHandler(FrameEncoder()), handler,
        ])
    }
}
