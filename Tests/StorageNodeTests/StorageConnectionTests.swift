import ConvergeTestSupport
import Crypto
import Logging
import NIOCore
import NIOEmbedded
import Protocol
@testable import StorageClient
@testable import StorageNode
import XCTest

/// The storage protocol's two connection handlers over in-memory channels: the node's
/// (`StorageConnectionHandler`, the listener) with a real node behind it, and the client's
/// (`StorageClientHandler`, the dialer). What each does with a handshake, a request, and a peer that
/// breaks the protocol.
final class StorageConnectionTests: XCTestCase {
    private let secret = Array("instance secret one".utf8)
    private var node: TestNode!

    override func setUp() async throws {
        node = try await TestNode()
    }

    override func tearDown() async throws {
        await node.remove()
    }

    private typealias End = InMemoryFrameEnd

    private func pump(_ a: End, _ b: End, until done: () async throws -> Bool) async throws {
        try await End.pump(a, b, until: done)
    }

    private struct Client {
        let end: End
        let handler: StorageClientHandler
        let handshake: EventLoopPromise<Void>

        init(secret: [UInt8]) async throws {
            let channel = NIOAsyncTestingChannel()
            handshake = channel.eventLoop.makePromise()
            handler = StorageClientHandler(key: Handshake.connectionKey(instanceSecret: secret), handshake: handshake,
                                           invalidations: AsyncStream.makeStream(of: Invalidation.self).continuation)
            end = try await End(channel, handler: handler)
        }

        /// Sends a request as `StorageClient.request` does; its answer arrives in the box.
        func send(_ request: StorageRequest, id: UInt64) async throws -> Locked<Result<StorageResponse, Error>?> {
            let box = Locked<Result<StorageResponse, Error>?>(nil)
            let (handler, channel) = (handler, end.channel)
            try await channel.testingEventLoop.executeInContext {
                let promise = channel.eventLoop.makePromise(of: StorageResponse.self)
                promise.futureResult.whenComplete { result in box.withLock { $0 = result } }
                handler.send(request.frame(requestID: id), promise: promise, writer: FrameWriter(channel: channel))
            }
            return box
        }
    }

    private func server(secret: [UInt8]? = nil) async throws -> End {
        let handler = StorageConnectionHandler(node: node.node, key: Handshake.connectionKey(instanceSecret: secret ?? self.secret), connectionID: 1,
                                               logger: Logger(label: "test"))
        return try await End(handler: handler)
    }

    private func connected() async throws -> (server: End, client: Client) {
        let server = try await server(), client = try await Client(secret: secret)
        try await pump(server, client.end) { try await client.end.outcome(client.handshake.futureResult) != nil }
        let handshake = try await client.end.outcome(client.handshake.futureResult)
        XCTAssertNotNil(try handshake?.get(), "the handshake did not finish")
        return (server, client)
    }

    func testStorageConnectionHandshakeThenRequestsAreAnsweredByID() async throws {
        let (server, client) = try await connected()
        let catalog = try await client.send(.catalog, id: 7), latest = try await client.send(.latestTimestamp, id: 8)
        try await pump(server, client.end) { catalog.value != nil && latest.value != nil }
        guard case .catalog? = try catalog.value?.get() else { return XCTFail("request 7 got \(String(describing: catalog.value))") }
        guard case .timestamp? = try latest.value?.get() else { return XCTFail("request 8 got \(String(describing: latest.value))") }
    }

    func testStorageConnectionWrongSecretIsRefusedWithTheNodesReason() async throws {
        let server = try await server(), client = try await Client(secret: Array("another instance".utf8))
        try await pump(server, client.end) { try await client.end.outcome(client.handshake.futureResult) != nil }
        guard case .failure(let error)? = try await client.end.outcome(client.handshake.futureResult) else { return XCTFail("the handshake passed") }
        XCTAssertTrue("\(error)".contains("server refused"), "\(error)")
        XCTAssertTrue("\(error)".contains("wrong HMAC"), "\(error)")
        let (serverActive, clientActive) = (try await server.isActive, try await client.end.isActive)
        XCTAssertFalse(serverActive, "the node hung up")
        XCTAssertFalse(clientActive)
        XCTAssertTrue(client.handler.health.isFailed)
    }

    func testStorageConnectionMalformedRequestIsAnsweredWithAnErrorThenClosed() async throws {
        let (server, client) = try await connected()
        let waiting = try await client.send(.catalog, id: 3)
        // Request 3 goes to the node in a frame of a kind that does not exist.
        let garbled = Frame(kind: 250, requestID: 3, body: ByteBuffer())
        var bytes = ByteBuffer()
        garbled.write(to: &bytes)
        _ = try await client.end.written() // what the client sent itself is dropped
        await server.receive(bytes)
        try await pump(server, client.end) { waiting.value != nil }
        // The answer is the node's error (StorageClient.request throws it).
        guard case .error(let error)? = try waiting.value?.get() else { return XCTFail("got \(String(describing: waiting.value))") }
        XCTAssertEqual(error.code, .badRequest)
        let serverActive = try await server.isActive
        XCTAssertFalse(serverActive)
    }

    func testStorageClientAnswerToNoRequestClosesTheConnection() async throws {
        let (_, client) = try await connected()
        let waiting = try await client.send(.catalog, id: 1)
        var bytes = ByteBuffer()
        StorageResponse.done.frame(requestID: 42).write(to: &bytes)
        await client.end.receive(bytes)
        let active = try await client.end.isActive
        XCTAssertFalse(active)
        XCTAssertTrue(client.handler.health.isFailed)
        guard case .failure(ProtocolError.unexpectedAnswer(requestID: 42))? = waiting.value else {
            return XCTFail("the waiting request got \(String(describing: waiting.value))")
        }
    }
}
