import Protocol
import StorageClient
import Synchronization

/// The coordinator's subscriptions at the storage node: one connection, and the invalidations the
/// node streams back routed to whoever is watching.
///
/// Watchers of the same read set at the same timestamp (every session subscribed to a query re-runs
/// it at the same snapshot, and the result cache hands them one result) share one subscription at
/// the node: a thousand subscribers of a query cost one subscribe per commit, not a thousand.
///
/// Watching and unwatching run where their caller runs (a session's actor) and only leave it for the
/// storage node's round trip, which joining an existing watch does not need.
///
/// When the connection is lost (the storage node restarted), the node has forgotten every
/// subscription and invalidations in flight may be lost with it: once a new connection is up, every
/// watcher fires, as after a push, and re-runs and watches again there.
final class SubscriptionHub: Sendable {
    typealias Handler = @Sendable (_ watcher: UInt64, _ changedAt: Timestamp?) -> Void

    private struct WatchKey: Hashable {
        let readSet: ReadSet
        let ts: Timestamp
    }

    /// One subscription at the storage node and who watches it.
    private struct Shared {
        let key: WatchKey
        var watchers: [UInt64: Handler]
    }

    private struct State {
        var shared: [UInt64: Shared] = [:]
        var byKey: [WatchKey: UInt64] = [:]
        var subscriptionOf: [UInt64: UInt64] = [:]

        /// Forgets a subscription at the node; returns its watchers.
        mutating func remove(subscription id: UInt64) -> [UInt64: Handler] {
            guard let removed = shared.removeValue(forKey: id) else { return [:] }
            if byKey[removed.key] == id { byKey[removed.key] = nil }
            for watcher in removed.watchers.keys { subscriptionOf[watcher] = nil }
            return removed.watchers
        }
    }

    let connection: StorageConnection
    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(1)

    /// `onReconnect` runs after a lost connection is replaced and every watcher has fired.
    init(connection: StorageConnection, first client: StorageClient, onReconnect: @escaping @Sendable () -> Void = {}) {
        self.connection = connection
        Task { [weak self, connection] in
            var client = client
            while true {
                for await invalidation in client.invalidations { self?.fire(invalidation) }
                guard self != nil, let next = await connection.nextClient() else { return }
                client = next
                self?.fireAll()
                onReconnect()
            }
        }
    }

    /// The storage node's client, waiting up to `timeout` for a lost connection to come back.
    func storage(timeout: Duration = .seconds(5)) async throws -> StorageClient {
        do {
            return try await connection.client(timeout: timeout)
        } catch {
            throw CoordinatorError.storageUnavailable("\(error)")
        }
    }

    /// `body` with the storage node's client; if the connection is lost under it, again on the next
    /// connection. For reads and other requests that may be repeated. Throws `storageUnavailable` when
    /// the node is not back within `timeout`.
    func withStorage<T>(timeout: Duration = .seconds(5), _ body: (StorageClient) async throws -> T) async throws -> T {
        do {
            return try await connection.withClient(timeout: timeout) { client, _ in try await body(client) }
        } catch let error as StorageConnectionError {
            throw CoordinatorError.storageUnavailable(error.description)
        }
    }

    /// The client if it is connected now.
    private func connectedStorage() throws -> StorageClient {
        guard let client = connection.current() else { throw CoordinatorError.storageUnavailable("the connection to the storage node is down") }
        return client
    }

    /// Fires every watcher, as if its data had changed: after a push or a change of environment
    /// variables every live query must run again, on the new code or with the new values.
    func invalidateAll() async {
        let fired = fireAll()
        try? await connection.current()?.unsubscribe(fired)
    }

    /// Fires every watcher with no timestamp (read the latest) and forgets every subscription; returns them.
    @discardableResult @inline(never)
    private func fireAll() -> [UInt64] {
        let fired = state.withLock { state in
            defer { state = State() }
            return state.shared
        }
        for (_, shared) in fired {
            for (watcher, handler) in shared.watchers { handler(watcher, nil) }
        }
        return Array(fired.keys)
    }

    private func fire(_ invalidation: Invalidation) {
        let fired = state.withLock { state in invalidation.subscriptionIDs.flatMap { state.remove(subscription: $0) } }
        for (watcher, handler) in fired { handler(watcher, invalidation.ts) }
    }

    /// Watches a read set taken at `ts`; `onChange` runs once, with the returned watcher ID, when a
    /// commit touches it, with a published timestamp at which the change can be read (nil: read the
    /// latest). Joins the subscription of an identical watch if there is one.
    nonisolated(nonsending) func watch(_ readSet: ReadSet, at ts: Timestamp, onChange: @escaping Handler) async throws -> UInt64 {
        let key = WatchKey(readSet: readSet, ts: ts)
        let watcher = nextID.add(1, ordering: .relaxed).oldValue
        let newSubscription: UInt64? = state.withLock { state in
            if let existing = state.byKey[key] {
                state.shared[existing]?.watchers[watcher] = onChange
                state.subscriptionOf[watcher] = existing
                return nil
            }
            let id = nextID.add(1, ordering: .relaxed).oldValue
            state.shared[id] = Shared(key: key, watchers: [watcher: onChange])
            state.byKey[key] = id
            state.subscriptionOf[watcher] = id
            return id
        }
        guard let newSubscription else { return watcher }
        do {
            try await connectedStorage().subscribe(SubscribeRequest(id: newSubscription, ts: ts, readSet: readSet))
        } catch {
            // Those who joined meanwhile learn of it as a change, and re-run and watch again.
            for (other, handler) in forget(newSubscription) where other != watcher { handler(other, nil) }
            throw error
        }
        return watcher
    }

    /// Forgets a subscription the storage node did not take; returns its watchers. Not inlined into
    /// `watch`, which calls it after an `await` (see `QueryResultCache.keep(_:of:)`).
    @inline(never)
    private func forget(_ subscription: UInt64) -> [UInt64: Handler] {
        state.withLock { $0.remove(subscription: subscription) }
    }

    /// Subscriptions held at the storage node now.
    var watchedCount: Int {
        state.withLock { $0.shared.count }
    }

    /// Whether the watcher is still waiting for a change (it has not fired nor been removed).
    func isWatching(_ watcher: UInt64) -> Bool {
        state.withLock { $0.subscriptionOf[watcher] != nil }
    }

    nonisolated(nonsending) func unwatch(_ watchers: [UInt64]) async {
        guard !watchers.isEmpty else { return }
        let unused: [UInt64] = state.withLock { state in
            var unused: [UInt64] = []
            for watcher in watchers {
                guard let id = state.subscriptionOf.removeValue(forKey: watcher) else { continue }
                state.shared[id]?.watchers[watcher] = nil
                if state.shared[id]?.watchers.isEmpty == true {
                    _ = state.remove(subscription: id)
                    unused.append(id)
                }
            }
            return unused
        }
        guard !unused.isEmpty else { return }
        try? await connection.current()?.unsubscribe(unused)
    }
}
