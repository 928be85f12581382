import ConvergeTestSupport
import NIOCore
import Protocol
import StorageClient
import XCTest

/// Garbage on one connection ends that connection with a clear error; the node keeps serving others.
final class BadInputTests: XCTestCase {
    var node: StorageProcess!
    var good: StorageClient!
    var port = 0

    override func setUp() async throws {
        node = StorageProcess()
        try node.start()
        guard case .tcp(_, let p) = node.endpoint else { return XCTFail("expected a TCP endpoint") }
        port = p
        good = try await node.connect()
        _ = try await good.createTable("notes")
    }

    override func tearDown() async throws {
        await good?.close()
        node.stop()
        node.removeData()
    }

    /// The well-behaved client still reads and commits, and the process is alive.
    private func assertNodeStillServes(file: StaticString = #filePath, line: UInt = #line) async throws {
        XCTAssertTrue(node.isRunning, "storage process died", file: file, line: line)
        var tx = try await StorageTransaction.begin(good)
        try tx.insert(into: "notes", ["after": "bad input"])
        let result = try await tx.commit()
        guard case .committed = result else { return XCTFail("commit failed: \(result)", file: file, line: line) }
    }

    private func assertClosedWithError(_ socket: RawSocket, containing text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let frames = try socket.framesUntilClosed()
        let errors = frames.compactMap { frame -> StorageError? in
            if case .error(let e)? = try? StorageResponse(frame: frame) { return e } else { return nil }
        }
        XCTAssertEqual(errors.count, 1, "expected one error frame before the close, got \(frames.map(\.kind))", file: file, line: line)
        XCTAssertTrue(errors.first?.message.contains(text) ?? false, "error \(errors) does not mention \(text)", file: file, line: line)
    }

    func testWrongHMACIsRefused() async throws {
        let socket = try RawSocket(port: port)
        let challenge = try XCTUnwrap(try socket.readFrame())
        socket.send(try Handshake.answer(challenge: challenge, key: Handshake.connectionKey(instanceSecret: Array(repeating: 1, count: 32))))
        try assertClosedWithError(socket, containing: "HMAC")
        do {
            _ = try await StorageClient.connect(to: node.endpoint, instanceSecret: Array(repeating: 1, count: 32))
            XCTFail("a client with the wrong secret connected")
        } catch {}
        try await assertNodeStillServes()
    }

    func testRequestBeforeHandshakeIsRefused() async throws {
        let socket = try RawSocket(port: port)
        _ = try socket.readFrame()
        socket.send(StorageRequest.latestTimestamp.frame(requestID: 1))
        try assertClosedWithError(socket, containing: "hello")
        try await assertNodeStillServes()
    }

    func testFrameShorterThanItsHeaderIsRefused() async throws {
        let socket = try RawSocket(port: port)
        try socket.handshake(secret: StorageProcess.secret)
        socket.send([0, 0, 0, 3, 1, 2, 3])
        try assertClosedWithError(socket, containing: "shorter than its header")
        try await assertNodeStillServes()
    }

    func testOversizedFrameIsRefusedBeforeItsBodyArrives() async throws {
        let socket = try RawSocket(port: port)
        try socket.handshake(secret: StorageProcess.secret)
        socket.send([0xFF, 0xFF, 0xFF, 0xF0, UInt8(MessageKind.commit.rawValue)])
        try assertClosedWithError(socket, containing: "exceeds the limit")
        try await assertNodeStillServes()
    }

    func testUnknownMessageKindIsRefused() async throws {
        let socket = try RawSocket(port: port)
        try socket.handshake(secret: StorageProcess.secret)
        socket.send(Frame(kind: 200, requestID: 5, body: ByteBuffer(bytes: [1, 2, 3])))
        try assertClosedWithError(socket, containing: "unknown message kind 200")
        try await assertNodeStillServes()
    }

    func testMalformedBodyIsRefused() async throws {
        let socket = try RawSocket(port: port)
        try socket.handshake(secret: StorageProcess.secret)
        // A commit whose read set claims a billion entries in a few bytes.
        socket.send(Frame(kind: MessageKind.commit.rawValue, requestID: 9, body: ByteBuffer(bytes: [1, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0x94, 0xEB, 0xDC, 0x03])))
        try assertClosedWithError(socket, containing: "truncated")
        try await assertNodeStillServes()
    }

    func testTruncatedFrameThenHangUpLeavesNodeServing() async throws {
        do {
            let socket = try RawSocket(port: port)
            try socket.handshake(secret: StorageProcess.secret)
            var out = ByteBuffer()
            StorageRequest.latestTimestamp.frame(requestID: 1).write(to: &out)
            let bytes = Array(out.readableBytesView)
            socket.send(Array(bytes.prefix(bytes.count - 3)))
        }
        try await Task.sleep(for: .milliseconds(100))
        try await assertNodeStillServes()
    }

    func testInvalidDocumentGetsAnErrorAndConnectionStaysUsable() async throws {
        let catalog = try await good.catalog()
        let table = try XCTUnwrap(catalog.table(named: "notes"))
        let ts = try await good.latestTimestamp()
        let id = DocumentID.generate(tableNumber: table.number, nowMillis: Double(ts) / 1e6)
        let bad = Value.object(["_id": .string(id.description), "_creationTime": .float64(1), "$nope": 1.0])
        do {
            _ = try await good.commit(CommitRequest(beginTs: ts, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: bad)]))
            XCTFail("invalid document accepted")
        } catch let error as StorageError {
            XCTAssertEqual(error.code, .badRequest)
        }
        let docs = try await good.get([id], at: try await good.latestTimestamp())
        XCTAssertEqual(docs, [nil])
        try await assertNodeStillServes()
    }
}
