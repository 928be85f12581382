import Protocol
import Synchronization

/// Where each connection's invalidations go. Attached synchronously when a connection is welcomed,
/// so no subscription can fire before its connection can receive the push.
final class InvalidationSinks: Sendable {
    private let sinks = Mutex<[UInt64: @Sendable (Invalidation) -> Void]>([:])

    func attach(_ connection: UInt64, _ sink: @escaping @Sendable (Invalidation) -> Void) {
        sinks.withLock { $0[connection] = sink }
    }

    func detach(_ connection: UInt64) {
        sinks.withLock { $0[connection] = nil }
    }

    func isAttached(_ connection: UInt64) -> Bool {
        sinks.withLock { $0[connection] != nil }
    }

    func push(_ invalidation: Invalidation, to connection: UInt64) {
        sinks.withLock { $0[connection] }?(invalidation)
    }
}
