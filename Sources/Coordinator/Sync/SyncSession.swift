import FaultInjection
import Foundation
import Protocol

/// One client's sync WebSocket (docs/sync-protocol.md): its query set and identity, the versions it has been sent,
/// and the Transitions that keep its queries' results current.
///
/// Transitions are sent one at a time (`transitions`, a `FirstComeLock`), each starting exactly where the last ended.
/// A Transition to a timestamp re-runs only the queries some commit up to it touched: the rest are
/// known to be current there because the subscription hub has caught up with it and they are still
/// watching (see `staleQueries(through:)`). None is sent that would change nothing for the client.
/// Mutations run one after another in arrival order, actions concurrently, both off the receive loop
/// so it keeps reading (and answering pings) while they run.
///
/// The session is an ordinary actor on Swift's global pool, not on its socket's event loop: tried,
/// a commit's fan-out then ran on the event loops in bursts, and every socket and runner connection
/// sharing them waited (a 120 s `mixed`: write p99 8.5 → 90 ms). Its frames still go straight to the
/// channel (`SyncSocket`).
actor SyncSession {
    /// A class, not a struct: the session reads and updates its fields often, and a struct in a
    /// dictionary is copied whole (every field retained) on each read through `queries[id]?`.
    private final class LiveQuery {
        var call: QueryCall
        /// What the client was last sent for it (values are shared with the result cache, so this costs little).
        var lastResult: SyncServerMessage.QueryModification?
        var subscription: UInt64?
        /// Runs in a row that could not happen (overloaded, no runner, runner lost), for the backoff.
        var failedRuns = 0

        init(_ call: QueryCall) {
            self.call = call
        }
    }

    /// What a query runs: its function and arguments, and the journal of its last run: a paginated
    /// query's page keeps the end it had when it first ran (from the client when it re-subscribes).
    private struct QueryCall: Sendable {
        let path: CanonicalFunctionPath?
        let udfPath: String
        let args: Value
        /// `args` as JSON, encoded once: the result cache is asked by it on every run.
        let encodedArgs: String
        var journal: String?

        init(udfPath: String, args: Value, journal: String?) {
            path = CanonicalFunctionPath(udfPath)
            self.udfPath = udfPath
            self.args = args
            encodedArgs = ConvexJSONWriter.encodeString(args)
            self.journal = journal
        }
    }

    enum Caller: Sendable { case anonymous, admin }

    /// Why the session closes its socket itself.
    enum Ending: Sendable {
        /// The user token expired: the client authenticates again and reconnects.
        case tokenExpired
        /// A mutation's outcome could not be learnt (its runner or the storage node was lost and did
        /// not come back in time). No response is sent: the client reconnects and re-sends it, and its
        /// key then finds the outcome if it committed.
        case mutationOutcomeUnknown
    }

    /// What a client is told of a finished mutation or action.
    private typealias Answer = (outcome: SyncServerMessage.Outcome, logLines: [String], ts: Timestamp?)

    /// A mutation waiting its turn.
    private struct PendingMutation {
        let requestId: UInt32
        let udfPath: String
        let args: Value
        /// Its key, from the client's session: nil before a `Connect`, then it is not deduplicated.
        let key: IdempotencyKey?
    }

    private let coordinator: Coordinator
    private let hub: SubscriptionHub
    private let instanceName: String
    private let socket: SyncSocket
    private let end: @Sendable (Ending) async -> Void
    /// Ends the session when the user token it authenticated with expires.
    private var expiry: Task<Void, Never>?
    private var queries: [UInt32: LiveQuery] = [:]
    private var receivedQuerySet: UInt32 = 0
    private var receivedIdentity: UInt32 = 0
    private var sent = StateVersion.initial
    private var caller = Caller.anonymous
    private var identity: Value?
    /// Held by whatever sends a Transition or changes what the next one starts from.
    private let transitions = FirstComeLock()
    private var mutations: [PendingMutation] = []
    /// The client's session (`Connect`), which keys its mutations, and whether this socket reconnects
    /// it: then a mutation may be a re-send of one that committed before.
    private var clientSession: (id: String, reconnected: Bool)?
    private var mutationWorker: Task<Void, Never>?
    private var closed = false
    private var rerunQueued = false
    /// Where the queued re-run reads (see `invalidated`).
    private var rerunReadsAt = RerunSnapshot.none
    /// What this session has added to the live-queries gauge.
    private var countedQueries = 0

    /// `end` closes the socket; the session calls it when a user token expires or a mutation's outcome is unknown.
    init(coordinator: Coordinator, hub: SubscriptionHub, instanceName: String, socket: SyncSocket, end: @escaping @Sendable (Ending) async -> Void) {
        self.coordinator = coordinator
        self.hub = hub
        self.instanceName = instanceName
        self.socket = socket
        self.end = end
    }

    /// Handles one client message. Throws `SyncProtocolError` (FatalError, then close) or
    /// `SyncSessionEnd` (close without FatalError) for what ends the session.
    func handle(_ message: SyncClientMessage) async throws {
        switch message {
        case .connect(let connect):
            clientSession = (connect.sessionId, connect.connectionCount > 0)
        case .event:
            break
        case let .modifyQuerySet(base, new, modifications):
            guard base == receivedQuerySet, new > base else {
                throw SyncProtocolError("Base version \(base) passed up doesn't match the current version \(receivedQuerySet)")
            }
            try await modifyQuerySet(newVersion: new, modifications)
        case let .mutation(requestId, udfPath, args, _):
            let key = clientSession.map { IdempotencyKey.sessionRequest(sessionId: $0.id, requestId: requestId) }
            mutations.append(PendingMutation(requestId: requestId, udfPath: udfPath, args: args.first ?? .object([:]), key: key))
            if mutationWorker == nil { mutationWorker = Task { await self.runMutations() } }
        case let .action(requestId, udfPath, args, _):
            Task { await self.runAction(requestId: requestId, udfPath: udfPath, args: args.first ?? .object([:])) }
        case let .authenticate(base, token):
            try await authenticate(base: base, token)
        }
    }

    private func modifyQuerySet(newVersion: UInt32, _ modifications: [SyncClientMessage.QuerySetModification]) async throws {
        await transitions.acquire()
        defer { transitions.release() }
        var added = Set<UInt32>(), removed: [UInt32] = []
        for modification in modifications {
            switch modification {
            case let .add(queryId, udfPath, args, journal, _):
                guard queries[queryId] == nil else { throw SyncSessionEnd("query \(queryId) added twice") }
                queries[queryId] = LiveQuery(QueryCall(udfPath: udfPath, args: args.first ?? .object([:]), journal: journal))
                added.insert(queryId)
            case .remove(let queryId):
                guard let query = queries.removeValue(forKey: queryId) else { throw SyncSessionEnd("query \(queryId) removed but never added") }
                await hub.unwatch(query.subscription.map { [$0] } ?? [])
                added.remove(queryId)
                removed.append(queryId)
            }
        }
        countLiveQueries()
        // The version moves with the Transition that carries the new queries' first results.
        receivedQuerySet = newVersion
        try await transitionLocked(rerun: added, removed: removed)
    }

    private func authenticate(base: UInt32, _ token: SyncClientMessage.AuthenticationToken) async throws {
        guard base == receivedIdentity else { throw SyncSessionEnd("identity base version \(base) does not match \(receivedIdentity)") }
        switch token {
        case .none:
            caller = .anonymous
            identity = nil
            expiry?.cancel()
        case let .admin(key, actingAs):
            guard (try? AdminKey(verifying: key, instanceName: instanceName, instanceSecret: coordinator.instanceSecret)) != nil else {
                try await socket.send(SyncServerMessage.authError(error: "The provided admin key was invalid for this instance", baseVersion: base, authUpdateAttempted: true))
                throw SyncSessionEnd("bad admin key")
            }
            caller = .admin
            identity = actingAs
            expiry?.cancel()
        case .user(let token):
            do {
                let verified = try await coordinator.verifyUserToken(token)
                identity = verified.identity
                caller = .anonymous
                expireSession(at: verified.expires, identityVersion: base + 1)
            } catch {
                try await socket.send(SyncServerMessage.authError(error: "\(error)", baseVersion: base, authUpdateAttempted: true))
                throw SyncSessionEnd("invalid user token")
            }
        }
        await transitions.acquire()
        defer { transitions.release() }
        receivedIdentity = base + 1
        // A new identity can change every result.
        for id in queries.keys { queries[id]?.lastResult = nil }
        try await transitionLocked(rerun: Set(queries.keys), removed: [], mustSend: true)
    }

    /// Runs the connection's mutations one at a time, in arrival order.
    private func runMutations() async {
        while !mutations.isEmpty, !closed {
            let mutation = mutations.removeFirst()
            let answer: Answer
            do {
                answer = try await run(mutation)
            } catch {
                // No answer is better than a wrong one: the client re-sends on its next socket.
                closed = true
                await end(.mutationOutcomeUnknown)
                break
            }
            FaultPoint.coordinatorAfterMutation.reached()
            // The response and the Transition covering it go out together (in one flush), so no older
            // Transition can slip in between. The JS client settles a mutation on the first Transition
            // that reaches its timestamp; the Rust and Python clients on the next Transition of any
            // kind, also after a failure with errorData (docs/sync-protocol.md, Settling mutations): so one always follows, and one
            // after a failure (which has no timestamp) need not move on.
            await transitions.acquire()
            do {
                try await socket.send(SyncServerMessage.mutationResponse(requestId: mutation.requestId, outcome: answer.outcome, ts: answer.ts,
                                                                         logLines: answer.logLines), flush: false)
                // A committed mutation is published before it is acknowledged: read at its timestamp
                // rather than asking the storage node for its latest.
                try await transitionLocked(rerun: [], removed: [], at: answer.ts ?? sent.ts, mustSend: true)
            } catch {
                closed = true
            }
            // Sends the response also when no Transition followed it.
            socket.flush()
            transitions.release()
        }
        mutationWorker = nil
    }

    private func runAction(requestId: UInt32, udfPath: String, args: Value) async {
        let (outcome, logLines, _) = await run(udfPath, kind: .action, args: args)
        await transitions.acquire()
        defer { transitions.release() }
        guard !closed else { return }
        // What the action wrote reaches the client's queries through their subscriptions, as anyone's
        // writes do: an action is settled by its response alone.
        do {
            try await socket.send(SyncServerMessage.actionResponse(requestId: requestId, outcome: outcome, logLines: logLines))
        } catch {
            closed = true
        }
    }

    /// A commit touched what `queryId` read: re-run it and tell the client if its result changed.
    /// `changedAt` is a published timestamp that has the change: re-runs read there, so the storage
    /// node is not asked for its latest timestamp once per session, and every session invalidated by
    /// one commit meets the others in the shared result cache. The hub's delivery calls this for
    /// every watcher of a commit's read sets, a few sessions at a time (see `Delivery`).
    private func invalidated(_ queryId: UInt32, subscription: UInt64, changedAt: Timestamp?) async {
        // Only the subscription the query holds now counts; an older one was already replaced.
        guard !closed, queries[queryId]?.subscription == subscription else { return }
        queries[queryId]?.subscription = nil
        rerunReadsAt.include(changedAt)
        guard queueRerun() else { return }
        // A free session re-runs here, in the delivery's lane; a busy one (a Transition is under way)
        // in a task of its own, so the sessions after it in the lane do not wait for it.
        if transitions.isHeld {
            Task { await self.rerunStale() }
        } else {
            await rerunStale()
        }
    }

    /// At `date`, unless the client authenticated again by then: AuthError, then close, so the client
    /// fetches a fresh token and reconnects instead of running on as someone it no longer proves to be.
    private func expireSession(at date: Date, identityVersion: UInt32) {
        expiry?.cancel()
        expiry = Task { [weak self] in
            try? await Task.sleep(for: .seconds(max(0, date.timeIntervalSinceNow)))
            guard !Task.isCancelled else { return }
            await self?.tokenExpired(identityVersion: identityVersion)
        }
    }

    private func tokenExpired(identityVersion: UInt32) async {
        guard !closed, receivedIdentity == identityVersion else { return }
        try? await socket.send(SyncServerMessage.authError(error: "The user token expired; authenticate again with a fresh one.",
                                                           baseVersion: identityVersion, authUpdateAttempted: false))
        await end(.tokenExpired)
    }

    /// Keeps the client's inactivity timer from firing between changes.
    func ping() async throws {
        try await socket.send(.ping)
    }

    func close() async {
        closed = true
        expiry?.cancel()
        let subscriptions = queries.values.compactMap(\.subscription)
        queries = [:]
        countLiveQueries()
        mutations = []
        await hub.unwatch(subscriptions)
    }

    /// Brings this session's share of the live-queries gauge to its query count (none once closed:
    /// a modification that was waiting when the session closed may still add to `queries`).
    private func countLiveQueries() {
        let count = closed ? 0 : queries.count
        coordinator.metrics.liveQueries.increment(by: Double(count - countedQueries))
        countedQueries = count
    }

    // MARK: Transitions

    /// Brings the client's queries to one snapshot: re-runs `requested` and those a commit touched
    /// since they ran, and sends one Transition if it changes anything for the client or `mustSend`
    /// (a mutation is settled by it). Call with the transition lock held.
    /// `snapshot`, when given, is a published timestamp to read at instead of the latest.
    private func transitionLocked(rerun requested: Set<UInt32>, removed: [UInt32], at snapshot: Timestamp? = nil, mustSend: Bool = false) async throws {
        guard !closed else { return }
        var ts: Timestamp
        if let snapshot { ts = snapshot } else { ts = try await coordinator.latestTimestamp() }
        // Never read before what the client was already sent: its results must not go back in time.
        ts = max(ts, sent.ts)
        let rerun = requested.union(await staleQueries(through: ts))
        // This run replaces their subscriptions: one that fires while it runs is covered by it (or, for
        // a commit after `ts`, by the new subscription, which fires at once), and must not queue
        // another run.
        var replaced: [UInt64] = []
        for id in rerun {
            guard let old = queries[id]?.subscription else { continue }
            queries[id]?.subscription = nil
            replaced.append(old)
        }
        // Queries removed while we waited are gone from `queries`; run only those still there.
        let work = rerun.compactMap { id in queries[id].map { (id, $0.call) } }
        var modifications: [SyncServerMessage.QueryModification] = removed.map { .removed(queryId: $0) }
        let (snapshot, caller, identity) = (ts, caller, identity)
        let results: [(UInt32, SharedQueryResult?, String?)] = switch work.count {
        case 0: []
        case 1: [await runQuery(work[0].0, work[0].1, at: snapshot, caller: caller, identity: identity)]
        default: await Self.concurrently(work) { await self.runQuery($0.0, $0.1, at: snapshot, caller: caller, identity: identity) }
        }
        var toWatch: [(id: UInt32, readSet: ReadSet, ts: Timestamp)] = []
        for (id, result, failure) in results {
            guard queries[id] != nil else { continue }
            // A query that could not run at all has no read set to watch: the client hears of the
            // failure, and the query runs again after a backoff until it does run.
            if result == nil, queries[id]?.call.path != nil {
                retryAfterBackoff(id)
            } else {
                queries[id]?.failedRuns = 0
            }
            // A run that paginated leaves the journal the next one starts from; a failed one keeps the last.
            if let journal = result?.result.journal { queries[id]?.call.journal = journal }
            let modification = Self.modification(id, result: result, failure: failure, journal: queries[id]?.call.journal)
            // Skip a result the client already has (same value and logs); new queries always get one.
            if requested.contains(id) || queries[id]?.lastResult != modification {
                modifications.append(modification)
                queries[id]?.lastResult = modification
            }
            guard let result = result?.result, let readSet = result.readSet, let readAt = result.snapshotTs else { continue }
            toWatch.append((id, readSet, readAt))
        }
        let end = StateVersion(querySet: receivedQuerySet, identity: receivedIdentity, ts: max(ts, sent.ts))
        let changesSomething = !modifications.isEmpty || end.querySet != sent.querySet || end.identity != sent.identity
        if changesSomething || mustSend {
            let message = SyncServerMessage.transition(start: sent, end: end, modifications: modifications, serverTs: Timestamp(Date().timeIntervalSince1970 * 1e9))
            sent = end
            do {
                try await socket.send(message)
            } catch {
                // The socket is gone; what this re-run replaced is no longer in `queries` for close() to drop.
                await hub.unwatch(replaced)
                throw error
            }
        }
        // Watched after the send, so the client does not wait for the storage round trips: a read set
        // watched from its snapshot's timestamp fires at once for any commit since, so none is missed.
        // (A mutation's Transition for a client with no queries has nothing to watch: no hop at all.)
        if !replaced.isEmpty { await hub.unwatch(replaced) }
        if !toWatch.isEmpty { await watch(toWatch) }
    }

    /// The queries whose results may not be current at `ts`: those not watching their read set (it
    /// fired, or they could not run or subscribe), once the hub has caught up with `ts` so that every
    /// commit up to it that touched a watched read set has fired. All of them if it cannot catch up.
    private func staleQueries(through ts: Timestamp) async -> Set<UInt32> {
        guard let unchanged = await hub.unchanged(queries.values.compactMap(\.subscription), through: ts) else { return Set(queries.keys) }
        return Set(queries.compactMap { id, query in query.subscription.map(unchanged.contains) == true ? nil : id })
    }

    /// Subscribes to each query's read set (concurrently) and keeps the subscriptions of the queries
    /// still there.
    private func watch(_ reads: [(id: UInt32, readSet: ReadSet, ts: Timestamp)]) async {
        let subscriptions: [(UInt32, UInt64?)] = switch reads.count {
        case 0: []
        case 1: [await subscribe(reads[0].id, to: reads[0].readSet, at: reads[0].ts)]
        default: await Self.concurrently(reads) { await self.subscribe($0.id, to: $0.readSet, at: $0.ts) }
        }
        var orphaned: [UInt64] = []
        for (id, subscription) in subscriptions {
            guard let subscription else {
                // Without a subscription the query would never update again: re-run it, after a backoff
                // (the storage node may be unreachable for a while).
                if queries[id] != nil { retryAfterBackoff(id) }
                continue
            }
            if queries[id] != nil, !closed {
                queries[id]?.subscription = subscription
                // It may have fired before it was stored, when its callback could not match it.
                if !hub.isWatching(subscription) { rerunSoon() }
            } else {
                orphaned.append(subscription)
            }
        }
        await hub.unwatch(orphaned)
    }

    /// Runs one of the session's queries at `snapshot`, where the caller runs: for the one query an
    /// invalidation re-runs, a result the cache has takes no hop off the session and back.
    private nonisolated(nonsending) func runQuery(_ id: UInt32, _ query: QueryCall, at snapshot: Timestamp, caller: Caller,
                                                  identity: Value?) async -> (UInt32, SharedQueryResult?, String?) {
        guard let path = query.path else { return (id, nil, "Invalid function path: \(query.udfPath)") }
        do {
            let result = try await coordinator.runShared(path, kind: .query, args: query.args, encodedArgs: query.encodedArgs, identity: identity,
                                                         allowInternal: caller == .admin, snapshotTs: snapshot, journal: query.journal)
            return (id, result, nil)
        } catch {
            return (id, nil, "\(error)")
        }
    }

    /// Watches a query's read set at the hub; nil if the storage node could not be asked. Where the
    /// caller runs, as `runQuery`: joining a watch that others hold already is a lookup.
    private nonisolated(nonsending) func subscribe(_ id: UInt32, to readSet: ReadSet, at ts: Timestamp) async -> (UInt32, UInt64?) {
        let subscription = try? await hub.watch(readSet, at: ts) { [weak self] fired, changedAt in
            await self?.invalidated(id, subscription: fired, changedAt: changedAt)
        }
        return (id, subscription)
    }

    /// `body` for each item at once, in a task group; results in completion order. (The common cases,
    /// one query after an invalidation and none after a mutation, are run by the caller itself.)
    private static func concurrently<Item: Sendable, Result: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) async -> Result) async -> [Result] {
        await withTaskGroup(of: Result.self) { group in
            for item in items { group.addTask { await body(item) } }
            var collected: [Result] = []
            for await result in group { collected.append(result) }
            return collected
        }
    }

    /// Sends a Transition once the current one is done, which re-runs every query no longer watching
    /// its read set. Invalidations that arrive while one such Transition is waiting join it instead of
    /// queueing their own.
    private func rerunSoon() {
        guard queueRerun() else { return }
        Task { await self.rerunStale() }
    }

    /// True if the caller is to start a re-run (none is queued yet).
    private func queueRerun() -> Bool {
        guard !rerunQueued else { return false }
        rerunQueued = true
        return true
    }

    private func rerunStale() async {
        await transitions.acquire()
        let snapshot = takeRerunSnapshot()
        try? await transitionLocked(rerun: [], removed: [], at: snapshot)
        transitions.release()
    }

    /// Re-runs a query that could not run, after 50 ms doubling up to 5 s (with jitter), unless it has
    /// been removed or has run since.
    private func retryAfterBackoff(_ queryId: UInt32) {
        let attempt = (queries[queryId]?.failedRuns ?? 0) + 1
        queries[queryId]?.failedRuns = attempt
        let delay = Duration.milliseconds(min(5_000, 50 << min(attempt - 1, 7))) * Double.random(in: 0.5...1)
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            await self?.retry(queryId, attempt: attempt)
        }
    }

    private func retry(_ queryId: UInt32, attempt: Int) {
        guard !closed, let query = queries[queryId], query.failedRuns == attempt, query.subscription == nil else { return }
        rerunReadsAt.include(nil)
        rerunSoon()
    }

    /// Ends the wait for a queued re-run and says where it reads: the newest invalidation's timestamp,
    /// or nil for the latest (when any invalidation came without one).
    private func takeRerunSnapshot() -> Timestamp? {
        rerunQueued = false
        defer { rerunReadsAt = .none }
        switch rerunReadsAt {
        case .none, .latest: return nil
        case .at(let ts): return ts
        }
    }

    /// Where a queued re-run reads: at the newest timestamp its invalidations came with, or at the
    /// latest once any came without one (a retry, a subscription that fired with no timestamp).
    private enum RerunSnapshot {
        case none
        case at(Timestamp)
        case latest

        mutating func include(_ changedAt: Timestamp?) {
            switch (self, changedAt) {
            case (.latest, _), (_, nil): self = .latest
            case (.none, let ts?): self = .at(ts)
            case (.at(let current), let ts?): self = .at(max(current, ts))
            }
        }
    }

    private static func modification(_ id: UInt32, result shared: SharedQueryResult?, failure: String?,
                                     journal: String?) -> SyncServerMessage.QueryModification {
        guard let shared else { return .failed(queryId: id, message: failure ?? "Server Error", logLines: [], journal: journal, errorData: nil) }
        let result = shared.result
        switch result.status {
        case .success:
            return .updated(queryId: id, valueJSON: shared.encodedValue!, logLines: result.logLines, journal: journal)
        case let .failure(message, data, _):
            return .failed(queryId: id, message: data == nil ? HTTPAPI.serverError(message) : message, logLines: result.logLines,
                           journal: journal, errorData: data)
        }
    }

    // MARK: Mutations and actions

    private func run(_ udfPath: String, kind: FunctionKind, args: Value) async -> Answer {
        guard let path = CanonicalFunctionPath(udfPath) else { return Self.failure("Invalid function path: \(udfPath)") }
        do {
            return Self.response(to: try await coordinator.run(path, kind: kind, args: args, identity: identity, allowInternal: caller == .admin))
        } catch {
            return Self.failure("\(error)")
        }
    }

    /// Runs a mutation, under its key when it has one. Throws only when a keyed mutation's outcome is
    /// unknown: its re-send will learn it.
    private func run(_ mutation: PendingMutation) async throws -> Answer {
        guard let key = mutation.key else { return await run(mutation.udfPath, kind: .mutation, args: mutation.args) }
        guard let path = CanonicalFunctionPath(mutation.udfPath) else { return Self.failure("Invalid function path: \(mutation.udfPath)") }
        do {
            let keyed = KeyedMutation(key: key, mayBeRepeat: clientSession?.reconnected ?? false)
            return Self.response(to: try await coordinator.runSessionMutation(path, args: mutation.args, identity: identity,
                                                                              allowInternal: caller == .admin, keyed))
        } catch let error as CoordinatorError where error.leavesOutcomeUnknown {
            throw error
        } catch {
            return Self.failure("\(error)")
        }
    }

    /// A call that could not run, as the client is told of it.
    private static func failure(_ message: String) -> Answer {
        (.failure(message: message, errorData: nil), [], nil)
    }

    private static func response(to result: FunctionResult) -> Answer {
        switch result.status {
        case .success(let value): return (.success(value), result.logLines, result.commitTs)
        case let .failure(message, data, _):
            return (.failure(message: data == nil ? HTTPAPI.serverError(message) : message, errorData: data), result.logLines, nil)
        }
    }
}
