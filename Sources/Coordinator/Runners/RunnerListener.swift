import Logging
import NIOCore
import NIOPosix
import Protocol
import Synchronization

/// Accepts runner connections: the handshake, then a runner's registration, its bundle fetches and
/// its actions' callbacks. A runner that disconnects leaves the pool.
final class RunnerListener: Sendable {
    private let coordinator: Coordinator
    private let group: MultiThreadedEventLoopGroup
    private let nextID = Atomic<UInt64>(1)
    private let channels = Mutex<[Channel]>([])

    init(coordinator: Coordinator, group: MultiThreadedEventLoopGroup) {
        self.coordinator = coordinator
        self.group = group
    }

    func listen(on endpoint: Endpoint) async throws -> SocketAddress? {
        let channel = try await FrameTransport.listen(on: endpoint, group: group) { [self] channel in
            let id = nextID.add(1, ordering: .relaxed).oldValue
            let peer = FramePeer(
                role: .listener, instanceSecret: coordinator.instanceSecret, eventLoop: channel.eventLoop,
                isAnswer: RunnerMessage.isAnswer,
                onRequest: { [coordinator] frame in Task { await coordinator.serveRunner(frame, runnerID: id) } },
                onClose: { [coordinator] _ in Task { await coordinator.runnerLeft(id) } })
            coordinator.rememberPeer(peer, id: id)
            return peer
        }
        channels.withLock { $0.append(channel) }
        return channel.localAddress
    }

    func close() async {
        for channel in channels.withLock({ $0 }) { try? await channel.close() }
    }
}
