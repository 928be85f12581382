import Foundation
import Logging
import NIOCore
import NIOPosix
import Protocol
import StorageClient
import Synchronization

/// The front door's core: the live deployment, the runner pool, and running functions on it.
/// The HTTP API and the sync protocol sit on top of this.
public final class Coordinator: Sendable {
    let instanceSecret: [UInt8]
    let runners: RunnerDispatch
    let deployments: DeploymentRegistry
    let queryCache: QueryResultCache
    public let metrics = CoordinatorMetrics()
    private let userAuth = UserAuthenticator()
    let functionLog = FunctionLog()
    let memory: MemoryReclaimer
    let pushes = OneAtATime()
    /// Sync mutations running here, by key: a re-send on another socket joins the run in flight.
    let sessionMutations = SingleFlight<IdempotencyKey, FunctionResult>()
    let logger: Logger
    private let peers = Mutex<[UInt64: FramePeer]>([:])
    private let group = MultiThreadedEventLoopGroup.singleton
    private let listener = Mutex<RunnerListener?>(nil)
    private let subscriptions = Mutex<SubscriptionHub?>(nil)

    /// `deploymentFile` keeps the live bundle across restarts; `waitForRunners` is how long a call
    /// waits for a runner of its pool when none is connected (after a restart they dial in again);
    /// past `maxQueuedCalls` calls waiting for room in one pool, calls fail as overloaded.
    public init(instanceSecret: [UInt8], deploymentFile: URL? = nil, waitForRunners: Duration = .seconds(10),
                maxQueuedCalls: Int = 10_000, logger: Logger = Logger(label: "converge.coordinator")) {
        self.instanceSecret = instanceSecret
        runners = RunnerDispatch(maxQueued: maxQueuedCalls, waitForRunners: waitForRunners, metrics: metrics)
        queryCache = QueryResultCache(metrics: metrics)
        deployments = DeploymentRegistry(file: deploymentFile)
        memory = MemoryReclaimer(logger: logger)
        self.logger = logger
    }

    /// Starts accepting runners; returns the bound address (useful with port 0).
    @discardableResult
    public func listenForRunners(on endpoint: Endpoint) async throws -> SocketAddress? {
        let runnerListener = listener.withLock { existing in
            if existing == nil { existing = RunnerListener(coordinator: self, group: group) }
            return existing!
        }
        return try await runnerListener.listen(on: endpoint)
    }

    /// Connects to the storage node, where live queries' subscriptions are registered; fails if the
    /// node does not answer within `timeout` (it may be starting too). Once connected, a lost
    /// connection is dialed again at once and live queries run again on the new one (`SubscriptionHub`).
    public func connectStorage(_ endpoint: Endpoint, timeout: Duration = .seconds(30)) async throws {
        let connection = StorageConnection(endpoint: endpoint, instanceSecret: instanceSecret)
        let client = try await connection.client(timeout: timeout)
        let hub = SubscriptionHub(connection: connection, first: client) { [logger] in
            logger.info("connected to the storage node again; live queries run again")
        }
        subscriptions.withLock { $0 = hub }
    }

    var hub: SubscriptionHub {
        get throws {
            guard let hub = subscriptions.withLock({ $0 }) else { throw CoordinatorError.storageUnavailable("the coordinator has no storage connection") }
            return hub
        }
    }

    func latestTimestamp() async throws -> Timestamp {
        try await hub.withStorage { try await $0.latestTimestamp() }
    }

    /// Gives memory back to the system after crowds of sockets have closed; runs until cancelled.
    public func reclaimMemory() async {
        await memory.run()
    }

    public func shutdown() async {
        await listener.withLock { $0 }?.close()
    }

    /// The user identity a JWT stands for, checked against the live deployment's auth providers
    /// (`convex/auth.config.ts`, which a runner reads from the bundle the first time it is needed).
    func verifyUserToken(_ token: String) async throws -> (identity: Value, expires: Date) {
        guard let deployment = await deployments.live else { throw AuthError("nothing has been deployed yet") }
        let providers = try await analysis(of: deployment).authProviders
        guard !providers.isEmpty else {
            throw AuthError("No auth providers are configured in convex/auth.config.ts, so user tokens cannot be checked.")
        }
        return try await userAuth.identity(token: token, providers: providers)
    }

    /// How many query executions the result cache started, and how many calls it served.
    public func queryCacheStatistics() -> (executions: Int, lookups: Int) {
        (queryCache.executions, queryCache.lookups)
    }

    /// The hash of the live bundle, if anything has been pushed.
    public func liveDeploymentHash() async -> String? {
        await deployments.live?.hash
    }

    /// Calls dispatched to each connected runner of a pool, by runner name.
    public func runnerCallCounts(_ pool: RunnerPool) async -> [String: Int] {
        await runners.callCounts(pool)
    }

    /// Calls sent to another runner because theirs was lost.
    public func runnerRetries() async -> Int {
        await runners.retries
    }

    public func runnerCount(_ pool: RunnerPool) async -> Int {
        await runners.count(pool)
    }

    /// Runs a function of the live deployment on a runner of the right pool.
    public nonisolated(nonsending) func run(_ path: CanonicalFunctionPath, kind: FunctionKind, args: Value, identity: Value? = nil,
                                                allowInternal: Bool = false, snapshotTs: Timestamp? = nil) async throws -> FunctionResult {
        try await runShared(path, kind: kind, args: args, identity: identity, allowInternal: allowInternal, snapshotTs: snapshotTs).result
    }

    /// `run`, with the result as the shared result cache holds it (its JSON written once for every caller).
    /// A mutation with `keyed` runs under its sync-protocol key (see `runSessionMutation`); a query
    /// with a `journal` ends its page where the subscription's last run ended it. `encodedArgs`, the
    /// arguments' JSON, saves encoding them again for the result cache's key (a live query's do not change).
    nonisolated(nonsending) func runShared(_ path: CanonicalFunctionPath, kind: FunctionKind, args: Value, encodedArgs: String? = nil,
                                          identity: Value? = nil, allowInternal: Bool = false, snapshotTs: Timestamp? = nil,
                                          journal: String? = nil, keyed: KeyedMutation? = nil) async throws -> SharedQueryResult {
        let shared = try await measured(path.displayName, kind: kind.rawValue, status: \.result.status) {
            try await dispatch(path, kind: kind, args: args, encodedArgs: encodedArgs, identity: identity, allowInternal: allowInternal,
                               snapshotTs: snapshotTs, journal: journal, keyed: keyed)
        }
        if shared.result.conflictRetries > 0 { metrics.conflictRetries.increment(by: Int64(shared.result.conflictRetries)) }
        return shared
    }

    /// Times a call into the metrics: `success`, `error` (the function threw) or `failed` (it could not run).
    private nonisolated(nonsending) func measured<T>(_ function: String, kind: String, status: (T) -> FunctionResult.Status,
                                                   _ call: nonisolated(nonsending) () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let value = try await call()
            let outcome: String
            if case .success = status(value) { outcome = "success" } else { outcome = "error" }
            metrics.recordCall(function, kind: kind, outcome: outcome, duration: .now - start)
            return value
        } catch {
            metrics.recordCall(function, kind: kind, outcome: "failed", duration: .now - start)
            throw error
        }
    }

    /// Runs an HTTP action of the live deployment on an action runner; `http` is the request as
    /// `RunFunction.http` describes it. The result's value is `{status, headers, body}`.
    func runHTTPAction(_ http: Value, identity: Value?) async throws -> FunctionResult {
        try await measured("http", kind: "httpAction", status: \.status) { try await dispatchHTTPAction(http, identity: identity) }
    }

    private func dispatchHTTPAction(_ http: Value, identity: Value?) async throws -> FunctionResult {
        guard let deployment = await deployments.live else { throw CoordinatorError.noDeployment }
        var call = RunFunction(deployment: deployment.hash, module: "http.js", function: "default", kind: .action, args: .object([:]),
                               identity: identity, http: http)
        call.environment = await deployments.callEnvironment.hash
        var route = "http"
        if case .string(let method)? = http["method"], case .string(let url)? = http["url"] {
            route = "\(method) \(URL(string: url)?.path ?? url)"
        }
        return try await execute(call, as: route, pool: .action)
    }

    /// The Prometheus text of `GET /metrics`.
    public func renderMetrics() async -> String {
        let subscriptions = (try? hub.watchedCount) ?? 0
        return metrics.render(runners: await runners.counts(), storageSubscriptions: subscriptions)
    }

    private nonisolated(nonsending) func dispatch(_ path: CanonicalFunctionPath, kind: FunctionKind, args: Value, encodedArgs: String?, identity: Value?,
                                                           allowInternal: Bool, snapshotTs: Timestamp?, journal: String?,
                                                           keyed: KeyedMutation?) async throws -> SharedQueryResult {
        guard let target = deployments.liveCallTarget else { throw CoordinatorError.noDeployment }
        // Built only for a run: after a commit, most callers of a query find its result in the cache.
        @Sendable func call() -> RunFunction {
            var call = RunFunction(deployment: target.deployment, module: path.module, function: path.function, kind: kind, args: args,
                                   identity: identity, allowInternal: allowInternal, snapshotTs: snapshotTs)
            call.environment = target.environment
            call.journal = journal
            if let keyed {
                call.idempotencyKey = keyed.key
                call.isRetry = keyed.mayBeRepeat
                call.recordsFailure = true
            }
            return call
        }
        // A query at a fixed snapshot is deterministic: one execution serves every caller of it.
        if kind == .query, let snapshotTs {
            let key = QueryResultCache.Key(deployment: target.deployment, environment: target.environment, path: path, args: encodedArgs ?? ConvexJSONWriter.encodeString(args),
                                           allowInternal: allowInternal, snapshotTs: snapshotTs, journal: journal)
            return try await queryCache.result(for: key, identity: identity.map(ConvexJSONWriter.encodeString) ?? "") { [self] in
                try await execute(call(), as: path.displayName, pool: .db)
            }
        }
        return SharedQueryResult(try await execute(call(), as: path.displayName, pool: kind == .action ? .action : .db))
    }

    /// Runs a call on a runner and records the execution in the function log.
    private nonisolated(nonsending) func execute(_ call: RunFunction, as name: String, pool: RunnerPool) async throws -> FunctionResult {
        let start = ContinuousClock.now
        let kind = call.http == nil ? call.kind.rawValue : "httpAction"
        do {
            let result = try await runners.call(call, pool: pool)
            var error: String?
            if case .failure(let message, _, _) = result.status { error = message }
            functionLog.record(function: name, kind: kind, duration: .now - start, outcome: error == nil ? "success" : "error",
                                     error: error, logLines: result.logLines)
            return result
        } catch {
            functionLog.record(function: name, kind: kind, duration: .now - start, outcome: "failed", error: "\(error)", logLines: [])
            throw error
        }
    }

    // MARK: Runner connections

    func rememberPeer(_ peer: FramePeer, id: UInt64) {
        peers.withLock { $0[id] = peer }
    }

    func runnerLeft(_ id: UInt64) async {
        peers.withLock { $0[id] = nil }
        await runners.remove(id: id)
    }

    /// Answers a runner's question: its registration, a bundle, or an action's callback.
    func serveRunner(_ frame: Frame, runnerID: UInt64) async {
        guard let peer = peers.withLock({ $0[runnerID] }) else { return }
        let answer: RunnerMessage
        do {
            switch try RunnerMessage(frame: frame) {
            case let .register(kind, capacity, name):
                await runners.add(id: runnerID, pool: kind, capacity: capacity, name: name, peer: peer)
                logger.info("runner \(name) joined the \(kind) pool with capacity \(capacity)")
                answer = .registered
            case .fetchBundle(let hash):
                guard let bundle = await deployments.bundle(hash: hash) else { throw CoordinatorError.unknownBundle(hash: hash) }
                answer = .bundle(source: bundle)
            case .fetchEnvironment(let hash):
                guard let environment = await deployments.environment(hash: hash) else { throw CoordinatorError.unknownEnvironment(hash: hash) }
                answer = .environment(json: environment.json)
            case let .actionCall(kind, name, args, identity):
                guard let path = CanonicalFunctionPath(name) else { throw CoordinatorError.invalidFunctionPath(name) }
                // Functions called from actions may be internal.
                answer = .result(try await run(path, kind: kind, args: args, identity: identity, allowInternal: true))
            default:
                throw CoordinatorError.notARunnerRequest(kind: frame.kind)
            }
        } catch {
            answer = .failed(message: "\(error)")
        }
        peer.send(answer.frame(requestID: frame.requestID))
    }
}
