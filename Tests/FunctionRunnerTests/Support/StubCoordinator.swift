import ConvergeTestSupport
import Crypto
import Foundation
import NIOCore
import NIOPosix
import Protocol

/// The coordinator's side of the runner protocol, reduced to what runner tests need: it accepts
/// runners, serves bundles, pushes calls, and routes actions' callbacks to a db runner.
final class StubCoordinator: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup.singleton
    private let runners = Locked<[(pool: RunnerPool, peer: FramePeer)]>([])
    let bundles = Locked<[String: String]>([:])
    private var channel: Channel?
    private(set) var endpoint: Endpoint!

    func start() async throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let box = PeerRef()
                    let peer = FramePeer(role: .listener, instanceSecret: StorageProcess.secret, eventLoop: channel.eventLoop,
                                         isAnswer: RunnerMessage.isAnswer, onRequest: { frame in
                        Task { await self.handle(frame, from: box.peer!) }
                    })
                    box.peer = peer
                    try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(FrameDecoder()), MessageToByteHandler(FrameEncoder()), peer])
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        endpoint = .tcp(host: "127.0.0.1", port: channel.localAddress!.port!)
    }

    func stop() async {
        try? await channel?.close()
    }

    /// Registers a bundle; returns its hash, the deployment's name in calls.
    func addBundle(_ source: String) -> String {
        let hash = SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
        bundles.withLock { $0[hash] = source }
        return hash
    }

    func waitForRunners(_ count: Int) async throws {
        for _ in 0..<500 {
            if runners.value.count >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("only \(runners.value.count) of \(count) runners registered")
    }

    func call(_ run: RunFunction, pool: RunnerPool) async throws -> RunnerMessage {
        guard let peer = runners.value.last(where: { $0.pool == pool })?.peer else { throw TestFailure("no \(pool) runner") }
        return try RunnerMessage(frame: try await peer.ask { RunnerMessage.run(run).frame(requestID: $0) })
    }

    private func handle(_ frame: Frame, from peer: FramePeer) async {
        let answer: RunnerMessage
        switch try? RunnerMessage(frame: frame) {
        case let .register(pool, _, _)?:
            runners.withLock { $0.append((pool, peer)) }
            answer = .registered
        case .fetchBundle(let hash)?:
            answer = bundles.value[hash].map { .bundle(source: $0) } ?? .failed(message: "no bundle \(hash)")
        case .fetchEnvironment(let hash)? where hash == EnvironmentVariables.none:
            answer = .environment(json: EnvironmentVariables().json)
        case let .actionCall(kind, name, args, identity)?:
            let parts = name.split(separator: ":").map(String.init)
            let deployment = bundles.value.keys.first ?? ""
            let run = RunFunction(deployment: deployment, module: parts[0] + ".js", function: parts.count > 1 ? parts[1] : "default",
                                  kind: kind, args: args, identity: identity, allowInternal: true)
            answer = (try? await call(run, pool: kind == .action ? .action : .db)) ?? .failed(message: "callback failed")
        default:
            answer = .failed(message: "unexpected message")
        }
        peer.send(answer.frame(requestID: frame.requestID))
    }
}

private final class PeerRef: @unchecked Sendable {
    var peer: FramePeer?
}
