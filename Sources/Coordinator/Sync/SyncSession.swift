import Foundation
import Protocol

/// One client's sync WebSocket (spec §1): its query set and identity, the versions it has been sent,
/// and the Transitions that keep its queries' results current. Transitions are sent one at a time so
/// each starts exactly where the last one ended.
actor SyncSession {
    private struct LiveQuery: Sendable {
        let path: CanonicalFunctionPath?
        let udfPath: String
        let args: Value
        var lastResult: String?
        var subscription: UInt64?
    }

    enum Caller: Sendable { case anonymous, admin }

    private let coordinator: Coordinator
    private let hub: SubscriptionHub
    private let instanceName: String
    private let send: @Sendable (String) async throws -> Void
    private var queries: [UInt32: LiveQuery] = [:]
    private var receivedQuerySet: UInt32 = 0
    private var receivedIdentity: UInt32 = 0
    private var sent = StateVersion.initial
    private var caller = Caller.anonymous
    private var identity: Value?
    private var dirty = Set<UInt32>()
    private var transitionRunning = false
    private var transitionWaiters: [CheckedContinuation<Void, Never>] = []

    init(coordinator: Coordinator, hub: SubscriptionHub, instanceName: String, send: @escaping @Sendable (String) async throws -> Void) {
        self.coordinator = coordinator
        self.hub = hub
        self.instanceName = instanceName
        self.send = send
    }

    /// Handles one client message. Throws a `SyncProtocolError` for what ends the session.
    func handle(_ text: String) async throws {
        switch try SyncClientMessage(json: text) {
        case .connect, .event:
            break
        case let .modifyQuerySet(base, new, modifications):
            guard base == receivedQuerySet, new > base else {
                throw SyncProtocolError("Base version \(base) passed up doesn't match the current version \(receivedQuerySet)")
            }
            receivedQuerySet = new
            var added = Set<UInt32>(), removed: [UInt32] = []
            for modification in modifications {
                switch modification {
                case let .add(queryId, udfPath, args, _, _):
                    queries[queryId] = LiveQuery(path: CanonicalFunctionPath(udfPath), udfPath: udfPath, args: args.first ?? .object([:]))
                    added.insert(queryId)
                case .remove(let queryId):
                    if let query = queries.removeValue(forKey: queryId) { await hub.unwatch(query.subscription.map { [$0] } ?? []) }
                    added.remove(queryId)
                    removed.append(queryId)
                }
            }
            try await transition(rerun: added, removed: removed)
        case let .mutation(requestId, udfPath, args, _):
            let (outcome, logLines, ts) = await run(udfPath, kind: .mutation, args: args.first ?? .object([:]))
            try await send(SyncServerMessage.mutationResponse(requestId: requestId, outcome: outcome, ts: ts, logLines: logLines).json)
            // Every mutation is followed by a Transition covering it, carrying what it changed.
            try await transition(rerun: Set(queries.keys), removed: [], atLeast: ts)
        case let .action(requestId, udfPath, args, _):
            let (outcome, logLines, _) = await run(udfPath, kind: .action, args: args.first ?? .object([:]))
            try await send(SyncServerMessage.actionResponse(requestId: requestId, outcome: outcome, logLines: logLines).json)
            try await transition(rerun: Set(queries.keys), removed: [])
        case let .authenticate(base, token):
            guard base == receivedIdentity else { throw SyncProtocolError("identity base version \(base) does not match \(receivedIdentity)") }
            switch token {
            case .none:
                caller = .anonymous
                identity = nil
            case let .admin(key, actingAs):
                guard (try? AdminKey(verifying: key, instanceName: instanceName, instanceSecret: coordinator.instanceSecret)) != nil else {
                    try await send(SyncServerMessage.authError(error: "The provided admin key was invalid for this instance", baseVersion: base, authUpdateAttempted: true).json)
                    throw SyncProtocolError("bad admin key")
                }
                caller = .admin
                identity = actingAs
            case .user:
                try await send(SyncServerMessage.authError(error: "user authentication (JWT) is not supported by Converge yet", baseVersion: base, authUpdateAttempted: true).json)
                throw SyncProtocolError("user authentication is not supported")
            }
            receivedIdentity = base + 1
            // A new identity can change every result.
            for id in queries.keys { queries[id]?.lastResult = nil }
            try await transition(rerun: Set(queries.keys), removed: [])
        }
    }

    /// A commit touched what `queryId` read: re-run it and tell the client if its result changed.
    func invalidated(_ queryId: UInt32) async {
        guard queries[queryId] != nil else { return }
        queries[queryId]?.subscription = nil
        dirty.insert(queryId)
        try? await transition(rerun: [], removed: [])
    }

    /// Keeps the client's inactivity timer from firing between changes.
    func ping() async throws {
        try await send(SyncServerMessage.ping.json)
    }

    func close() async {
        await hub.unwatch(queries.values.compactMap(\.subscription))
        queries = [:]
    }

    // MARK: Transitions

    private func transition(rerun requested: Set<UInt32>, removed: [UInt32], atLeast minimumTs: Timestamp? = nil) async throws {
        await lockTransitions()
        defer { unlockTransitions() }
        let rerun = requested.union(dirty).filter { queries[$0] != nil }
        dirty.subtract(rerun)
        var ts = try await coordinator.latestTimestamp()
        if let minimumTs { ts = max(ts, minimumTs) }
        var modifications: [SyncServerMessage.QueryModification] = removed.map { .removed(queryId: $0) }
        let snapshot = ts
        await withTaskGroup(of: (UInt32, FunctionResult?, String?).self) { group in
            for id in rerun {
                let query = queries[id]!
                group.addTask { [coordinator, caller, identity] in
                    guard let path = query.path else { return (id, nil, "Invalid function path: \(query.udfPath)") }
                    do {
                        let result = try await coordinator.run(path, kind: .query, args: query.args, identity: identity,
                                                               allowInternal: caller == .admin, snapshotTs: snapshot)
                        return (id, result, nil)
                    } catch {
                        return (id, nil, "\(error)")
                    }
                }
            }
            for await (id, result, failure) in group {
                guard queries[id] != nil else { continue }
                let modification = Self.modification(id, result: result, failure: failure)
                // Skip a result the client already has (same value and logs); new queries always get one.
                let fingerprint = "\(modification)"
                if requested.contains(id) || queries[id]?.lastResult != fingerprint {
                    modifications.append(modification)
                    queries[id]?.lastResult = fingerprint
                }
                if let old = queries[id]?.subscription { await hub.unwatch([old]) }
                queries[id]?.subscription = nil
                if let result, let readSet = result.readSet, let snapshot = result.snapshotTs {
                    queries[id]?.subscription = try? await hub.watch(readSet, at: snapshot) { [weak self] in
                        Task { await self?.invalidated(id) }
                    }
                }
            }
        }
        let end = StateVersion(querySet: receivedQuerySet, identity: receivedIdentity, ts: max(ts, sent.ts))
        let message = SyncServerMessage.transition(start: sent, end: end, modifications: modifications, serverTs: Timestamp(Date().timeIntervalSince1970 * 1e9))
        sent = end
        try await send(message.json)
    }

    private static func modification(_ id: UInt32, result: FunctionResult?, failure: String?) -> SyncServerMessage.QueryModification {
        guard let result else { return .failed(queryId: id, message: failure ?? "Server Error", logLines: [], journal: nil, errorData: nil) }
        switch result.status {
        case .success(let value): return .updated(queryId: id, value: value, logLines: result.logLines, journal: nil)
        case let .failure(message, data, _): return .failed(queryId: id, message: message, logLines: result.logLines, journal: nil, errorData: data)
        }
    }

    private func lockTransitions() async {
        while transitionRunning { await withCheckedContinuation { transitionWaiters.append($0) } }
        transitionRunning = true
    }

    private func unlockTransitions() {
        transitionRunning = false
        if !transitionWaiters.isEmpty { transitionWaiters.removeFirst().resume() }
    }

    // MARK: Mutations and actions

    private func run(_ udfPath: String, kind: FunctionKind, args: Value) async -> (SyncServerMessage.Outcome, [String], Timestamp?) {
        guard let path = CanonicalFunctionPath(udfPath) else { return (.failure(message: "Invalid function path: \(udfPath)", errorData: nil), [], nil) }
        do {
            let result = try await coordinator.run(path, kind: kind, args: args, identity: identity, allowInternal: caller == .admin)
            switch result.status {
            case .success(let value): return (.success(value), result.logLines, result.commitTs)
            case let .failure(message, data, _):
                return (.failure(message: data == nil ? "[Request ID: \(HTTPAPI.requestID())] Server Error\n\(message)" : message, errorData: data), result.logLines, nil)
            }
        } catch {
            return (.failure(message: "\(error)", errorData: nil), [], nil)
        }
    }
}
