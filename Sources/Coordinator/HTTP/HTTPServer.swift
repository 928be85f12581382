import Hummingbird
import NIOCore
import Protocol

extension Coordinator {
    /// Serves the HTTP API on `host:port` until the calling task is cancelled. `onRunning` gets the
    /// bound port (useful with port 0).
    public func serveHTTP(host: String, port: Int, instanceName: String, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let api = HTTPAPI(coordinator: self, instanceName: instanceName)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "converge"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
        try await app.runService()
    }
}
