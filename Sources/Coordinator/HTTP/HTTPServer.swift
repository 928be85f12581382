import Hummingbird
import HummingbirdWebSocket

extension Coordinator {
    /// Serves the HTTP API and the sync WebSocket on `host:port` until the calling task is cancelled.
    /// `onRunning` gets the bound port (useful with port 0).
    public func serveHTTP(host: String, port: Int, instanceName: String, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let sync = SyncRoute(coordinator: self, hub: try hub, instanceName: instanceName)
        let app = Application(
            router: HTTPAPI(coordinator: self, instanceName: instanceName).router(),
            server: .http1WebSocketUpgrade(webSocketRouter: sync.router(),
                                           configuration: .init(ws: .init(maxFrameSize: 16 << 20, autoPing: .enabled(timePeriod: .seconds(5))))),
            configuration: .init(address: .hostname(host, port: port), serverName: "converge"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
        try await app.runService()
    }
}
