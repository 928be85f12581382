import ConvergeTestSupport
import Protocol
import StorageClient
import XCTest

/// `StorageConnection`: the storage node as a process that may restart. A lost connection is
/// replaced by the next; a closed one is never dialed again, not even by a dial already under way.
final class StorageReconnectTests: XCTestCase {
    private let node = StorageProcess()

    override func tearDown() async throws {
        node.stop()
        node.removeData()
    }

    private func connection() throws -> StorageConnection {
        StorageConnection(endpoint: try XCTUnwrap(node.endpoint), instanceSecret: StorageProcess.secret, retryInterval: .milliseconds(20))
    }

    func testALostConnectionIsReplacedByTheNextOnceTheNodeIsBack() async throws {
        try node.start()
        let connection = try connection()
        let first = try await connection.client(timeout: .seconds(5))
        let address = try XCTUnwrap(node.endpoint)
        node.kill()
        try node.start(listeningOn: address)
        let next = await connection.nextClient()
        XCTAssertTrue(next?.isOpen == true)
        XCTAssertFalse(first === next)
        await connection.close()
    }

    func testAClosedConnectionIsNotDialedAgain() async throws {
        try node.start()
        let connection = try connection()
        let client = try await connection.client(timeout: .seconds(5))
        await connection.close()
        for _ in 0..<100 where client.isOpen { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertFalse(client.isOpen)
        do {
            _ = try await connection.client(timeout: .seconds(1))
            XCTFail("a closed connection dialed again")
        } catch let error as StorageConnectionError {
            guard case .closed = error else { return XCTFail("\(error)") }
        }
        let next = await connection.nextClient()
        XCTAssertNil(next)
        XCTAssertNil(connection.current())
    }

    func testADialUnderWayWhenClosedKeepsNoClient() async throws {
        try node.start()
        let address = try XCTUnwrap(node.endpoint)
        node.kill()
        let connection = try connection()
        // The node is down: the dial goes on until it answers.
        let waiting = Task { try await connection.client(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        await connection.close()
        try node.start(listeningOn: address)
        do {
            _ = try await waiting.value
            XCTFail("the dial under way connected after close()")
        } catch let error as StorageConnectionError {
            guard case .closed = error else { return XCTFail("\(error)") }
        }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertNil(connection.current(), "a client was kept after close()")
    }
}
