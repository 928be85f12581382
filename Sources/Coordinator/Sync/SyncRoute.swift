import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Protocol
import Synchronization

/// The sync WebSocket's route (`/api/sync`, `/api/{version}/sync`; docs/sync-protocol.md) and the
/// loop that reads a socket's messages into its `SyncSession`.
struct SyncRoute: Sendable {
    /// The upgrade request's context: the socket's channel, which the session writes to directly (`SyncSocket`).
    struct Context: RequestContext, WebSocketRequestContext {
        var coreContext: CoreRequestContextStorage
        let webSocket: WebSocketHandlerReference<Self>
        let channel: any Channel

        init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            webSocket = .init()
            channel = source.channel
        }
    }

    let coordinator: Coordinator
    let hub: SubscriptionHub
    let instanceName: String

    /// The router Hummingbird asks whether to upgrade a request.
    func router() -> Router<Context> {
        let router = Router(context: Context.self)
        for path in ["/api/sync", "/api/:version/sync"] {
            router.ws(RouterPath(path), shouldUpgrade: { _, context in
                // The memory a socket held is freed with its channel, after the session has ended.
                coordinator.memory.sessionOpened()
                context.channel.closeFuture.whenComplete { [memory = coordinator.memory] _ in memory.sessionClosed() }
                return .upgrade([:])
            }, onUpgrade: { inbound, outbound, context in
                try await serve(inbound, outbound, channel: context.requestContext.channel)
            })
        }
        return router
    }

    private func serve(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, channel: any Channel) async throws {
        coordinator.metrics.syncSessions.increment()
        defer { coordinator.metrics.syncSessions.decrement() }
        let session = SyncSession(coordinator: coordinator, hub: hub, instanceName: instanceName, socket: try await SyncSocket(channel: channel), end: { ending in
            switch ending {
            case .tokenExpired: try? await outbound.close(.normalClosure, reason: "TokenExpired")
            case .mutationOutcomeUnknown: try? await outbound.close(.unexpectedServerError, reason: "InternalServerError")
            }
        })
        let pinger = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(10))
                try await session.ping()
            }
        }
        defer { pinger.cancel() }
        let end: @Sendable (Error) async -> Void = { error in
            if let error = error as? SyncProtocolError {
                // A deterministic client error: say so, then close (docs/sync-protocol.md, closing).
                try? await outbound.write(.text(SyncServerMessage.fatalError(error: error.description).json))
                try? await outbound.close(.unexpectedServerError, reason: "BadRequest")
            } else {
                // Auth failures and internal errors close without a FatalError.
                try? await outbound.close(.unexpectedServerError, reason: "InternalServerError")
            }
        }
        // Messages are handled in order by a task of their own, so this loop keeps reading (and the
        // pongs that keep the socket alive get through) while a message takes long. A mutation or
        // action only joins its queue or starts a task: with nothing queued ahead of it, this loop
        // hands it over itself, saving a task switch per mutation.
        let (messages, queue) = AsyncStream.makeStream(of: SyncClientMessage.self)
        let queued = QueuedMessages()
        let worker = Task {
            do {
                for await message in messages {
                    try await session.handle(message)
                    queued.handled()
                }
            } catch {
                await end(error)
            }
        }
        do {
            for try await message in inbound.messages(maxSize: 16 << 20) {
                guard case .text(let text) = message else { continue }
                let parsed = try SyncClientMessage(json: text)
                if parsed.onlyStartsWork, queued.isEmpty {
                    try await session.handle(parsed)
                } else {
                    queued.add()
                    queue.yield(parsed)
                }
            }
        } catch let error as SyncProtocolError {
            await end(error)
        } catch {
            // The client went away or sent something that is not WebSocket.
        }
        queue.finish()
        worker.cancel()
        await session.close()
    }
}

/// How many client messages wait for a session's message task or are being handled by it.
private final class QueuedMessages: Sendable {
    private let count = Atomic<Int>(0)

    var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }
    func add() { count.add(1, ordering: .relaxed) }
    func handled() { count.subtract(1, ordering: .releasing) }
}

extension SyncClientMessage {
    /// Handling it only queues or starts the work, so it never keeps the reading loop waiting.
    fileprivate var onlyStartsWork: Bool {
        switch self {
        case .mutation, .action: true
        case .connect, .event, .modifyQuerySet, .authenticate: false
        }
    }
}
