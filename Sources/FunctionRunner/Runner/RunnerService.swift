import Foundation
import Logging
import NIOCore
import NIOPosix
import Protocol
import StorageClient
import Synchronization

/// `converge runner`: dials the coordinator, registers its pool and capacity, and runs the function
/// calls pushed to it until the connection ends. A `db` runner reads and commits through its storage
/// client; an `action` runner has none, and its actions call back to the coordinator.
public final class RunnerService: Sendable {
    public struct Configuration: Sendable {
        public var coordinator: Endpoint
        public var storage: Endpoint?
        public var pool: RunnerPool
        /// Worker threads, each with its own JavaScriptCore context group.
        public var workers: Int
        public var instanceSecret: [UInt8]
        public var name: String
        public var limits = ExecutionLimits()
        /// How long the first connections to the storage node and the coordinator may take.
        public var startupTimeout: Duration = .seconds(30)
        /// The pause between attempts to reach a lost coordinator.
        public var redialInterval: Duration = .milliseconds(50)
        /// How long a call waits for a lost storage node to answer again before it fails as unavailable.
        public var storageTimeout: Duration = .seconds(30)

        public init(coordinator: Endpoint, storage: Endpoint?, pool: RunnerPool, workers: Int, instanceSecret: [UInt8], name: String) {
            self.coordinator = coordinator
            self.storage = storage
            self.pool = pool
            self.workers = workers
            self.instanceSecret = instanceSecret
            self.name = name
        }

        /// The calls announced to the coordinator: each worker interleaves as many as its isolate pools
        /// contexts, so mutations waiting on a commit leave their thread to others, and the storage
        /// node's group commit sees more of them at once.
        public var capacity: Int { workers * FunctionIsolate.defaultPoolSize }
    }

    private let configuration: Configuration
    private let logger: Logger
    /// Keyed mutations running here. A coordinator that restarted sends a client's re-send of one
    /// that was running when it died; if it comes here, it waits for that run.
    private let mutations = SingleFlight<IdempotencyKey, FunctionResult>()
    private let seal: CursorSeal

    public init(configuration: Configuration, logger: Logger = Logger(label: "converge.runner")) {
        self.configuration = configuration
        self.logger = logger
        seal = CursorSeal(instanceSecret: configuration.instanceSecret)
    }

    /// Serves until cancelled. Throws if the first connection to the storage node or the
    /// coordinator, or the registration, fails within `startupTimeout`. After that, a lost coordinator
    /// is dialed again at once and the storage node is reconnected to by the next call that needs it;
    /// the warm JavaScript contexts stay.
    public func run() async throws {
        let storage: StorageConnection?
        switch configuration.pool {
        case .db:
            guard let endpoint = configuration.storage else { throw HostError("a db runner needs --storage") }
            let connection = StorageConnection(endpoint: endpoint, instanceSecret: configuration.instanceSecret)
            _ = try await connection.client(timeout: configuration.startupTimeout)
            storage = connection
        case .action:
            storage = nil
        }
        let link = CoordinatorLink()
        let deployments = Deployments(workers: configuration.workers, limits: configuration.limits, source: .init(
            bundle: { hash in
                guard case .bundle(let source) = try await link.ask(.fetchBundle(hash: hash)) else {
                    throw HostError("the coordinator did not send bundle \(hash)")
                }
                return source
            },
            environment: { hash in
                guard case .environment(let json) = try await link.ask(.fetchEnvironment(hash: hash)) else {
                    throw HostError("the coordinator did not send environment \(hash)")
                }
                return json
            }))
        var connectedOnce = false
        let startedAt = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let closed = try await dialCoordinator(link: link, storage: storage, deployments: deployments)
                connectedOnce = true
                if let error = await closed.value { logger.warning("coordinator connection closed: \(error)") }
                logger.warning("lost the coordinator; dialing it again")
            } catch {
                if !connectedOnce, ContinuousClock.now - startedAt > configuration.startupTimeout { throw error }
            }
            try? await Task.sleep(for: configuration.redialInterval)
        }
        await storage?.close()
    }

    /// Connects to the coordinator and registers; returns what the connection ends with.
    private func dialCoordinator(link: CoordinatorLink, storage: StorageConnection?, deployments: Deployments) async throws -> Task<Error?, Never> {
        let closed = AsyncStream.makeStream(of: Error?.self)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        // A call is answered on the connection it came on, which the callback is made before.
        let own = CoordinatorLink()
        let peer = FramePeer(
            role: .dialer, instanceSecret: configuration.instanceSecret, eventLoop: eventLoop, isAnswer: RunnerMessage.isAnswer,
            onRequest: { [self] frame in Task { await self.serve(frame, peer: own.peer!, storage: storage, deployments: deployments) } },
            onClose: { error in closed.continuation.yield(error); closed.continuation.finish() })
        own.peer = peer
        let channel: Channel
        do {
            channel = try await FrameTransport.connect(to: configuration.coordinator, on: eventLoop, handler: peer)
        } catch {
            // The peer never joined a pipeline: settle its promise here (a lost coordinator is dialed again and again).
            peer.ready.fail(error)
            throw error
        }
        do {
            try await peer.ready.futureResult.get()
            link.peer = peer
            let answer = try RunnerMessage(frame: try await peer.ask {
                RunnerMessage.register(pool: self.configuration.pool, capacity: self.configuration.capacity, name: self.configuration.name).frame(requestID: $0)
            })
            guard case .registered = answer else { throw HostError("the coordinator refused the runner: \(answer)") }
        } catch {
            try? await channel.close()
            throw error
        }
        logger.info("runner \(configuration.name) registered with \(configuration.coordinator) as a \(configuration.pool) runner")
        return Task {
            var reason: Error?
            for await error in closed.stream { reason = error }
            return reason
        }
    }

    private func serve(_ frame: Frame, peer: FramePeer, storage: StorageConnection?, deployments: Deployments) async {
        let answer: RunnerMessage
        do {
            switch try RunnerMessage(frame: frame) {
            case .run(let call):
                if call.kind == .mutation, let key = call.idempotencyKey {
                    answer = .result(try await mutations.run(key) { try await execute(call, peer: peer, storage: storage, deployments: deployments) })
                } else {
                    answer = .result(try await execute(call, peer: peer, storage: storage, deployments: deployments))
                }
            case let .analyze(hash, environment):
                answer = .analysis(json: try await deployments.withIsolate(for: hash, environment: environment) { try await $0.analyze() })
            default:
                throw HostError("a runner only takes function calls and analyses")
            }
        } catch let error as StorageConnectionError {
            answer = .unavailable(message: error.description)
        } catch {
            answer = .failed(message: "\(error)")
        }
        peer.send(answer.frame(requestID: frame.requestID))
    }

    private func execute(_ call: RunFunction, peer: FramePeer, storage: StorageConnection?, deployments: Deployments) async throws -> FunctionResult {
        try await deployments.withIsolate(for: call.deployment, environment: call.environment) { isolate in
            switch (call.kind, configuration.pool) {
            case (.query, .db), (.mutation, .db):
                // A call that lost the storage node under it (its outcome is a failure then, or it
                // threw) runs again once the node is back; a mutation may have committed, so it looks
                // for its outcome first.
                let failed: (FunctionResult) -> Bool = { if case .failure = $0.status { true } else { false } }
                return try await storage!.withClient(timeout: configuration.storageTimeout, lost: failed) { client, lostOne in
                    var call = call
                    if lostOne {
                        logger.warning("lost the storage node during a call; running it again")
                        call.isRetry = true
                    }
                    return try await execute(call, on: isolate, storage: client)
                }
            case (.action, .action):
                var request = FunctionRequest(call)
                request.nowMillis = Date().timeIntervalSince1970 * 1000
                let host = ActionHost(identity: call.identity) { message in
                    try RunnerMessage(frame: try await peer.ask { message.frame(requestID: $0) })
                }
                return FunctionResult(outcome: await isolate.run(request, host: host))
            default:
                throw HostError("a \(configuration.pool) runner does not run \(call.kind)s")
            }
        }
    }

    private func execute(_ call: RunFunction, on isolate: FunctionIsolate, storage: StorageClient) async throws -> FunctionResult {
        let request = FunctionRequest(call)
        if call.kind == .query {
            // The push-time schema check reads pages of whole documents: no user limit applies to it.
            var limits = TransactionLimits()
            if call.system != nil { limits.maxBytesRead = 256 << 20 }
            let result = try await FunctionExecutor(isolate: isolate, storage: storage, seal: seal, limits: limits).runQuery(request, at: call.snapshotTs)
            return FunctionResult(outcome: result.outcome, snapshotTs: result.ts, readSet: result.readSet, journal: result.journal)
        }
        let result = try await FunctionExecutor(isolate: isolate, storage: storage, seal: seal)
            .runMutation(request, idempotencyKey: call.idempotencyKey, isRetry: call.isRetry, recordsFailure: call.recordsFailure)
        return FunctionResult(outcome: result.outcome, commitTs: result.commitTs, conflictRetries: result.conflictRetries)
    }

}

extension FunctionRequest {
    init(_ call: RunFunction) {
        self.init(module: call.module, function: call.function, kind: call.kind, args: call.args,
                  identity: call.identity, allowInternal: call.allowInternal, seed: call.seed, http: call.http)
        system = call.system
        journal = call.journal
    }
}

/// The connection to the coordinator that is up now; bundles and environments are fetched over it,
/// whichever connection the call that needs them arrived on.
private final class CoordinatorLink: Sendable {
    private let current = Mutex<FramePeer?>(nil)

    var peer: FramePeer? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    func ask(_ message: RunnerMessage) async throws -> RunnerMessage {
        guard let peer else { throw HostError("the runner has no coordinator connection") }
        return try RunnerMessage(frame: try await peer.ask { message.frame(requestID: $0) })
    }
}

extension FunctionResult {
    init(outcome: FunctionOutcome, snapshotTs: Timestamp? = nil, readSet: ReadSet? = nil, commitTs: Timestamp? = nil, conflictRetries: Int = 0,
         journal: String? = nil) {
        let status: Status
        switch outcome.result {
        case .success(let value): status = .success(value)
        case .failure(let error): status = .failure(message: error.message, data: error.data, stack: error.stack)
        }
        self.init(status: status, logLines: outcome.logLines, snapshotTs: snapshotTs, readSet: readSet, commitTs: commitTs,
                  readAuth: outcome.readAuth, conflictRetries: conflictRetries, journal: journal)
    }
}
