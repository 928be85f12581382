import Protocol
import StorageClient
import Synchronization

/// The coordinator's subscriptions at the storage node: one connection, a read set per live query,
/// and the invalidations the node streams back routed to whoever registered each one.
final class SubscriptionHub: Sendable {
    let storage: StorageClient
    private let handlers = Mutex<[UInt64: @Sendable (UInt64, Timestamp?) -> Void]>([:])
    private let nextID = Atomic<UInt64>(1)

    /// `onDisconnect` runs once the storage connection is gone: without it no live query can update.
    init(storage: StorageClient, onDisconnect: @escaping @Sendable () -> Void) {
        self.storage = storage
        Task { [weak self, storage] in
            for await invalidation in storage.invalidations { self?.fire(invalidation) }
            onDisconnect()
        }
    }

    /// Fires every watched subscription, as if its data had changed: after a push or a change of
    /// environment variables every live query must run again, on the new code or with the new values.
    /// The storage node still holds the read sets; they are dropped as their sessions re-watch.
    func invalidateAll() async {
        let fired = handlers.withLock { map in
            defer { map.removeAll() }
            return Array(map)
        }
        for (id, handler) in fired { handler(id, nil) }
        try? await storage.unsubscribe(fired.map(\.key))
    }

    private func fire(_ invalidation: Invalidation) {
        let fired = handlers.withLock { map in invalidation.subscriptionIDs.compactMap { id in map.removeValue(forKey: id).map { (id, $0) } } }
        for (id, handler) in fired { handler(id, invalidation.ts) }
    }

    /// Watches a read set taken at `ts`; `onChange` runs once, with the subscription's ID, when a commit
    /// touches it, with a published timestamp at which the change can be read (nil: read the latest).
    func watch(_ readSet: ReadSet, at ts: Timestamp, onChange: @escaping @Sendable (UInt64, Timestamp?) -> Void) async throws -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        handlers.withLock { $0[id] = onChange }
        do {
            try await storage.subscribe(SubscribeRequest(id: id, ts: ts, readSet: readSet))
        } catch {
            handlers.withLock { $0[id] = nil }
            throw error
        }
        return id
    }

    /// Read sets watched now.
    var watchedCount: Int {
        handlers.withLock { $0.count }
    }

    /// Whether the subscription is still waiting for a change (it has not fired nor been removed).
    func isWatching(_ id: UInt64) -> Bool {
        handlers.withLock { $0[id] != nil }
    }

    func unwatch(_ ids: [UInt64]) async {
        guard !ids.isEmpty else { return }
        handlers.withLock { map in for id in ids { map[id] = nil } }
        try? await storage.unsubscribe(ids)
    }
}
