import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Protocol
import Synchronization

extension Coordinator {
    /// Serves the HTTP API and the sync WebSocket (`/api/sync`, `/api/{version}/sync`) on `host:port`
    /// until the calling task is cancelled. `onRunning` gets the bound port (useful with port 0).
    public func serveHTTP(host: String, port: Int, instanceName: String, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let api = HTTPAPI(coordinator: self, instanceName: instanceName)
        let hub = try hub
        let app = Application(
            router: api.router(),
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 16 << 20, autoPing: .enabled(timePeriod: .seconds(5))))) { [self, metrics, memory] request, channel, _ in
                let parts = request.path?.split(separator: "?").first?.split(separator: "/") ?? []
                guard parts.last == "sync", parts.first == "api", parts.count <= 3 else { return .dontUpgrade }
                // The memory a socket held is freed with its channel, after the session has ended.
                memory.sessionOpened()
                channel.closeFuture.whenComplete { _ in memory.sessionClosed() }
                return .upgrade([:]) { inbound, outbound, _ in
                    metrics.syncSessions.increment()
                    defer { metrics.syncSessions.decrement() }
                    let session = SyncSession(coordinator: self, hub: hub, instanceName: instanceName, socket: try await SyncSocket(channel: channel), end: { ending in
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
                            // A deterministic client error: say so, then close (spec §1.10).
                            try? await outbound.write(.text(SyncServerMessage.fatalError(error: error.description).json))
                            try? await outbound.close(.unexpectedServerError, reason: "BadRequest")
                        } else {
                            // Auth failures and internal errors close without a FatalError.
                            try? await outbound.close(.unexpectedServerError, reason: "InternalServerError")
                        }
                    }
                    // Messages are handled in order by a task of their own, so this loop keeps reading
                    // (and the pongs that keep the socket alive get through) while a message takes long.
                    // A mutation or action only joins its queue or starts a task: with nothing queued
                    // ahead of it, this loop hands it over itself, saving a task switch per mutation.
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
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "converge"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
        try await app.runService()
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
