import Synchronization

/// Whether a connection has failed, readable from any thread. Set before the waiting requests are
/// failed, so a caller that gets such an error sees the connection closed, not yet open.
final class ConnectionHealth: Sendable {
    private let failed = Atomic<Bool>(false)

    var isFailed: Bool { failed.load(ordering: .acquiring) }

    func markFailed() { failed.store(true, ordering: .releasing) }
}
