import Crypto
import Logging
import NIOCore
import NIOPosix
import Protocol
import Synchronization

/// Puts a storage node on TCP and Unix domain sockets.
public final class StorageServer: Sendable {
    private let node: StorageNode
    private let key: SymmetricKey
    private let group: MultiThreadedEventLoopGroup
    private let maxFrameSize: Int
    private let logger: Logger
    private let nextConnectionID = Atomic<UInt64>(1)
    private let channels = Mutex<[Channel]>([])

    public init(node: StorageNode, instanceSecret: [UInt8], maxFrameSize: Int = Frame.defaultMaxSize,
                threads: Int = System.coreCount, logger: Logger = Logger(label: "converge.storage.server")) {
        self.node = node
        self.key = Handshake.connectionKey(instanceSecret: instanceSecret)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.maxFrameSize = maxFrameSize
        self.logger = logger
    }

    /// Starts listening; returns the bound address (useful with port 0).
    @discardableResult
    public func listen(on endpoint: Endpoint) async throws -> SocketAddress? {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                let id = nextConnectionID.add(1, ordering: .relaxed).oldValue
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)),
                        MessageToByteHandler(FrameEncoder()),
                        StorageConnectionHandler(node: node, key: key, connectionID: id, logger: logger),
                    ])
                }
            }
        let channel: Channel
        switch endpoint {
        case let .tcp(host, port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case let .unix(path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
        channels.withLock { $0.append(channel) }
        return channel.localAddress
    }

    public func shutdown() async throws {
        for channel in channels.withLock({ $0 }) { try? await channel.close() }
        try await group.shutdownGracefully()
    }
}
