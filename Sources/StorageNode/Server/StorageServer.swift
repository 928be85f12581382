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

    /// Serves `node` on `threads` event loops; a peer must prove in the handshake that it holds `instanceSecret`.
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
        let channel = try await FrameTransport.listen(on: endpoint, group: group, maxFrameSize: maxFrameSize) { [self] _ in
            StorageConnectionHandler(node: node, key: key, connectionID: nextConnectionID.add(1, ordering: .relaxed).oldValue, logger: logger)
        }
        channels.withLock { $0.append(channel) }
        return channel.localAddress
    }

    /// Closes the listeners, then shuts down the event loops and the connections on them.
    public func shutdown() async throws {
        for channel in channels.withLock({ $0 }) { try? await channel.close() }
        try await group.shutdownGracefully()
    }
}
