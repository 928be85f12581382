import Foundation
import Logging
import NIOCore
import NIOPosix
import Protocol
import StorageClient

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

    public init(configuration: Configuration, logger: Logger = Logger(label: "converge.runner")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until the coordinator hangs up; throws if it cannot connect or register.
    public func run() async throws {
        let storage: StorageClient?
        switch configuration.pool {
        case .db:
            guard let endpoint = configuration.storage else { throw HostError("a db runner needs --storage") }
            storage = try await StorageClient.connect(to: endpoint, instanceSecret: configuration.instanceSecret)
        case .action:
            storage = nil
        }
        let closed = AsyncStream.makeStream(of: Error?.self)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let peerBox = PeerBox()
        let peer = FramePeer(
            role: .dialer, instanceSecret: configuration.instanceSecret, eventLoop: eventLoop, isAnswer: RunnerMessage.isAnswer,
            onRequest: { [self] frame in Task { await self.serve(frame, peer: peerBox.peer!, storage: storage, deployments: peerBox.deployments!) } },
            onClose: { error in closed.continuation.yield(error); closed.continuation.finish() })
        peerBox.peer = peer
        peerBox.deployments = Deployments(workers: configuration.workers, limits: configuration.limits, source: .init(
            bundle: { hash in
                guard case .bundle(let source) = try RunnerMessage(frame: try await peer.ask { RunnerMessage.fetchBundle(hash: hash).frame(requestID: $0) }) else {
                    throw HostError("the coordinator did not send bundle \(hash)")
                }
                return source
            },
            environment: { hash in
                guard case .environment(let json) = try RunnerMessage(frame: try await peer.ask { RunnerMessage.fetchEnvironment(hash: hash).frame(requestID: $0) }) else {
                    throw HostError("the coordinator did not send environment \(hash)")
                }
                return json
            }))
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder()), MessageToByteHandler(FrameEncoder()), peer,
                    ])
                }
            }
        let channel: Channel
        switch configuration.coordinator {
        case let .tcp(host, port): channel = try await bootstrap.connect(host: host, port: port).get()
        case let .unix(path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
        try await peer.ready.futureResult.get()
        let answer = try RunnerMessage(frame: try await peer.ask {
            RunnerMessage.register(pool: self.configuration.pool, capacity: self.configuration.capacity, name: self.configuration.name).frame(requestID: $0)
        })
        guard case .registered = answer else { throw HostError("the coordinator refused the runner: \(answer)") }
        logger.info("runner \(configuration.name) registered with \(configuration.coordinator) as a \(configuration.pool) runner")
        // Serve until the coordinator or the storage node goes away; then exit, so a supervisor restarts us.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await error in closed.stream {
                    if let error { self.logger.warning("coordinator connection closed: \(error)") }
                }
            }
            if let storage {
                group.addTask {
                    for await _ in storage.invalidations {}
                    self.logger.warning("storage connection closed")
                }
            }
            await group.next()
            group.cancelAll()
        }
        try? await channel.close()
        await storage?.close()
    }

    private func serve(_ frame: Frame, peer: FramePeer, storage: StorageClient?, deployments: Deployments) async {
        let answer: RunnerMessage
        do {
            switch try RunnerMessage(frame: frame) {
            case .run(let call):
                answer = .result(try await execute(call, peer: peer, storage: storage, deployments: deployments))
            case let .analyze(hash, environment):
                answer = .analysis(json: try await deployments.withIsolate(for: hash, environment: environment) { try await $0.analyze() })
            default:
                throw HostError("a runner only takes function calls and analyses")
            }
        } catch {
            answer = .failed(message: "\(error)")
        }
        peer.send(answer.frame(requestID: frame.requestID))
    }

    private func execute(_ call: RunFunction, peer: FramePeer, storage: StorageClient?, deployments: Deployments) async throws -> FunctionResult {
        try await deployments.withIsolate(for: call.deployment, environment: call.environment) { isolate in
            try await execute(call, on: isolate, peer: peer, storage: storage)
        }
    }

    private func execute(_ call: RunFunction, on isolate: FunctionIsolate, peer: FramePeer, storage: StorageClient?) async throws -> FunctionResult {
        var request = FunctionRequest(module: call.module, function: call.function, kind: call.kind, args: call.args,
                                      identity: call.identity, allowInternal: call.allowInternal, seed: call.seed, http: call.http)
        request.system = call.system
        switch (call.kind, configuration.pool) {
        case (.query, .db):
            // The push-time schema check reads pages of whole documents: no user limit applies to it.
            var limits = TransactionLimits()
            if call.system != nil { limits.maxBytesRead = 256 << 20 }
            let result = try await FunctionExecutor(isolate: isolate, storage: storage!, limits: limits).runQuery(request, at: call.snapshotTs)
            return FunctionResult(outcome: result.outcome, snapshotTs: result.ts, readSet: result.readSet)
        case (.mutation, .db):
            let result = try await FunctionExecutor(isolate: isolate, storage: storage!).runMutation(request, idempotencyKey: call.idempotencyKey, isRetry: call.isRetry)
            return FunctionResult(outcome: result.outcome, commitTs: result.commitTs, conflictRetries: result.conflictRetries)
        case (.action, .action):
            var request = request
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

/// Late-bound references for the peer's request callback, which is created before them.
private final class PeerBox: @unchecked Sendable {
    var peer: FramePeer?
    var deployments: Deployments?
}

extension FunctionResult {
    init(outcome: FunctionOutcome, snapshotTs: Timestamp? = nil, readSet: ReadSet? = nil, commitTs: Timestamp? = nil, conflictRetries: Int = 0) {
        let status: Status
        switch outcome.result {
        case .success(let value): status = .success(value)
        case .failure(let error): status = .failure(message: error.message, data: error.data, stack: error.stack)
        }
        self.init(status: status, logLines: outcome.logLines, snapshotTs: snapshotTs, readSet: readSet, commitTs: commitTs,
                  readAuth: outcome.readAuth, conflictRetries: conflictRetries)
    }
}
