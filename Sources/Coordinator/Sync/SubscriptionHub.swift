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
/// The stream is also a watermark (see `Invalidation`): once `caughtUp(through: ts)` returns true,
/// every commit up to `ts` that touched a watched read set has fired its watchers, so a watcher
/// still watching holds a result that is current at `ts`. Sessions rely on this to leave the
/// queries a commit did not touch alone (`unchanged(_:through:)`). A subscription counts once the
/// node has taken it and the stream has caught up with it: `watch` returns then for the watcher
/// that asked the node, and at once for those that joined it meanwhile, whom `unchanged` makes wait
/// for it if they are asked about before it is taken. (After a commit, a thousand subscribers of
/// a query join one new subscription; none of them needs it taken until its next Transition.)
///
/// Watching and unwatching run where their caller runs (a session's actor) and only leave it for the
/// storage node's round trip, which joining an existing watch does not need.
///
/// The watchers a commit fires are called from a few tasks (`Delivery`), each going through its share
/// of them in turn, not from a task per watcher: a thousand subscribers of a query then cost no
/// thousand task starts, and a handler entering an idle session's actor runs on the same thread.
///
/// When the connection is lost (the storage node restarted), the node has forgotten every
/// subscription and invalidations in flight may be lost with it: once a new connection is up, every
/// watcher fires, as after a push, and re-runs and watches again there.
final class SubscriptionHub: Sendable {
    typealias Handler = @Sendable (_ watcher: UInt64, _ changedAt: Timestamp?) async -> Void

    private struct WatchKey: Hashable {
        let readSet: ReadSet
        let ts: Timestamp
    }

    /// One subscription at the storage node and who watches it.
    private struct Shared {
        let key: WatchKey
        var watchers: [UInt64: Handler]
        /// Watchers that joined before the node took it, waiting for it to be; nil once it is.
        var joiners: [CheckedContinuation<Void, Never>]? = []
    }

    /// What a change of state leaves to do outside the lock.
    private struct Wakeups {
        var fired: [(UInt64, Handler)] = []
        var joiners: [CheckedContinuation<Void, Never>] = []
        var caughtUp: [CheckedContinuation<Bool, Never>] = []

        func run(changedAt: Timestamp?) {
            Delivery.start(fired, changedAt: changedAt)
            for joiner in joiners { joiner.resume() }
            for waiter in caughtUp { waiter.resume(returning: true) }
        }
    }

    private struct State {
        var shared: [UInt64: Shared] = [:]
        var byKey: [WatchKey: UInt64] = [:]
        var subscriptionOf: [UInt64: UInt64] = [:]
        /// The newest timestamp the current connection's stream has delivered and this hub has acted on.
        var watermark: Timestamp = 0
        var waiters: [UInt64: (ts: Timestamp, continuation: CheckedContinuation<Bool, Never>)] = [:]

        /// Forgets a subscription at the node; its watchers and joiners go to `wakeups`.
        mutating func remove(subscription id: UInt64, into wakeups: inout Wakeups) {
            guard let removed = shared.removeValue(forKey: id) else { return }
            if byKey[removed.key] == id { byKey[removed.key] = nil }
            for (watcher, handler) in removed.watchers {
                subscriptionOf[watcher] = nil
                wakeups.fired.append((watcher, handler))
            }
            wakeups.joiners += removed.joiners ?? []
        }

        /// Waiters whose timestamp the stream has reached. With no subscription left there is nothing
        /// a commit could have touched, and the node sends no watermarks: then every waiter is done.
        mutating func takeCaughtUp(into wakeups: inout Wakeups) {
            guard !waiters.isEmpty else { return }
            for (id, waiter) in waiters where shared.isEmpty || waiter.ts <= watermark {
                waiters[id] = nil
                wakeups.caughtUp.append(waiter.continuation)
            }
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
                self?.fireAll(newConnection: true)
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
        let fired = fireAll(newConnection: false)
        try? await connection.current()?.unsubscribe(fired)
    }

    /// Fires every watcher with no timestamp (read the latest) and forgets every subscription; returns
    /// them. On a new connection the watermark starts again, and whoever waited on the old stream is
    /// told it will not catch up.
    @discardableResult
    private func fireAll(newConnection: Bool) -> [UInt64] {
        var wakeups = Wakeups()
        var abandoned: [CheckedContinuation<Bool, Never>] = []
        let fired = state.withLockAfterAwait { state in
            let ids = Array(state.shared.keys)
            for id in ids { state.remove(subscription: id, into: &wakeups) }
            if newConnection {
                state.watermark = 0
                abandoned = state.waiters.values.map(\.continuation)
                state.waiters = [:]
            }
            state.takeCaughtUp(into: &wakeups)
            return ids
        }
        wakeups.run(changedAt: nil)
        for waiter in abandoned { waiter.resume(returning: false) }
        return fired
    }

    private func fire(_ invalidation: Invalidation) {
        var wakeups = Wakeups()
        state.withLock { state in
            for id in invalidation.subscriptionIDs { state.remove(subscription: id, into: &wakeups) }
            state.watermark = max(state.watermark, invalidation.ts)
            state.takeCaughtUp(into: &wakeups)
        }
        wakeups.run(changedAt: invalidation.ts)
    }

    /// Waits until every commit up to `ts` that touched a watched read set has fired its watchers.
    /// False if that cannot be known within `timeout` (the storage node is lost or slow): the caller
    /// must then treat every result as stale.
    nonisolated(nonsending) func caughtUp(through ts: Timestamp, timeout: Duration = .seconds(5)) async -> Bool {
        if isCaughtUp(through: ts) { return true }
        let id = nextID.add(1, ordering: .relaxed).oldValue
        return await withCheckedContinuation { continuation in
            guard wait(id, for: ts, continuation) else { return continuation.resume(returning: true) }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.stopWaiting(id)
            }
        }
    }

    private func isCaughtUp(through ts: Timestamp) -> Bool {
        state.withLockAfterAwait { $0.shared.isEmpty || $0.watermark >= ts }
    }

    /// Registers a waiter unless the stream is there already (then false).
    private func wait(_ id: UInt64, for ts: Timestamp, _ continuation: CheckedContinuation<Bool, Never>) -> Bool {
        state.withLock { state in
            guard !state.shared.isEmpty, state.watermark < ts else { return false }
            state.waiters[id] = (ts, continuation)
            return true
        }
    }

    private func stopWaiting(_ id: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
    }

    /// Watches a read set taken at `ts`; `onChange` runs once, with the returned watcher ID, when a
    /// commit touches it, with a published timestamp at which the change can be read (nil: read the
    /// latest). Joins the subscription of an identical watch if there is one.
    nonisolated(nonsending) func watch(_ readSet: ReadSet, at ts: Timestamp, onChange: @escaping Handler) async throws -> UInt64 {
        let key = WatchKey(readSet: readSet, ts: ts)
        let watcher = nextID.add(1, ordering: .relaxed).oldValue
        let joined: Bool
        let subscription: UInt64
        (joined, subscription) = state.withLock { state in
            if let existing = state.byKey[key] {
                state.shared[existing]?.watchers[watcher] = onChange
                state.subscriptionOf[watcher] = existing
                return (true, existing)
            }
            let id = nextID.add(1, ordering: .relaxed).oldValue
            state.shared[id] = Shared(key: key, watchers: [watcher: onChange])
            state.byKey[key] = id
            state.subscriptionOf[watcher] = id
            return (false, id)
        }
        if joined { return watcher }
        do {
            let checkedThrough = try await connectedStorage().subscribe(SubscribeRequest(id: subscription, ts: ts, readSet: readSet))
            guard await caughtUp(through: checkedThrough) else {
                throw CoordinatorError.storageUnavailable("the storage node's invalidations did not arrive")
            }
        } catch {
            // Those who joined meanwhile learn of it as a change, and re-run and watch again.
            forget(subscription, except: watcher)
            try? await connection.current()?.unsubscribe([subscription])
            throw error
        }
        taken(subscription)
        return watcher
    }

    /// The watchers among `watchers` that no commit up to `ts` has touched: still watching, their
    /// subscriptions taken by the node, and the stream caught up with `ts`. Nil if the stream cannot
    /// catch up in time (the storage node is lost): then none is known to be current.
    nonisolated(nonsending) func unchanged(_ watchers: [UInt64], through ts: Timestamp) async -> Set<UInt64>? {
        guard !watchers.isEmpty else { return [] }
        while let pending = firstPending(of: watchers) {
            await withCheckedContinuation { joinWhenTaken(pending, $0) }
        }
        if watching(watchers).isEmpty { return [] }
        guard await caughtUp(through: ts) else { return nil }
        return watching(watchers)
    }

    /// A subscription of one of `watchers` that the node has not taken yet.
    private func firstPending(of watchers: [UInt64]) -> UInt64? {
        state.withLockAfterAwait { state in
            for watcher in watchers {
                if let id = state.subscriptionOf[watcher], state.shared[id]?.joiners != nil { return id }
            }
            return nil
        }
    }

    private func watching(_ watchers: [UInt64]) -> Set<UInt64> {
        state.withLockAfterAwait { state in Set(watchers.filter { state.subscriptionOf[$0] != nil }) }
    }

    /// Waits for the node to take a subscription joined before it did (or for it to go).
    private func joinWhenTaken(_ subscription: UInt64, _ continuation: CheckedContinuation<Void, Never>) {
        let waiting = state.withLock { state -> Bool in
            guard state.shared[subscription]?.joiners != nil else { return false }
            state.shared[subscription]?.joiners?.append(continuation)
            return true
        }
        if !waiting { continuation.resume() }
    }

    /// The node has the subscription and the stream has caught up with it: joiners may go on.
    private func taken(_ subscription: UInt64) {
        let joiners = state.withLockAfterAwait { state -> [CheckedContinuation<Void, Never>] in
            defer { state.shared[subscription]?.joiners = nil }
            return state.shared[subscription]?.joiners ?? []
        }
        for joiner in joiners { joiner.resume() }
    }

    /// Forgets a subscription the storage node did not take, firing every watcher but `watcher`.
    private func forget(_ subscription: UInt64, except watcher: UInt64) {
        var wakeups = Wakeups()
        state.withLockAfterAwait { state in
            state.remove(subscription: subscription, into: &wakeups)
            state.takeCaughtUp(into: &wakeups)
        }
        wakeups.fired.removeAll { $0.0 == watcher }
        wakeups.run(changedAt: nil)
    }

    /// Subscriptions held at the storage node now.
    var watchedCount: Int {
        state.withLock { $0.shared.count }
    }

    /// Whether the watcher is still waiting for a change (it has not fired nor been removed).
    func isWatching(_ watcher: UInt64) -> Bool {
        state.withLockAfterAwait { $0.subscriptionOf[watcher] != nil }
    }

    nonisolated(nonsending) func unwatch(_ watchers: [UInt64]) async {
        guard !watchers.isEmpty else { return }
        var wakeups = Wakeups()
        let unused: [UInt64] = state.withLock { state in
            var unused: [UInt64] = []
            for watcher in watchers {
                guard let id = state.subscriptionOf.removeValue(forKey: watcher) else { continue }
                state.shared[id]?.watchers[watcher] = nil
                if state.shared[id]?.watchers.isEmpty == true {
                    state.remove(subscription: id, into: &wakeups)
                    unused.append(id)
                }
            }
            state.takeCaughtUp(into: &wakeups)
            return unused
        }
        wakeups.run(changedAt: nil)
        guard !unused.isEmpty else { return }
        try? await connection.current()?.unsubscribe(unused)
    }
}
