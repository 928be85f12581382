import Foundation
import Protocol
@testable import StorageNode
import Synchronization
import XCTest

final class PersistenceFailureTests: XCTestCase {
    func testFailedDurableWriteIsNeverAcknowledgedAndStopsCommits() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite3").path
        let failWrites = Atomic<Bool>(false)
        let persistence = HookedPersistence(try SQLitePersistence(path: path), beforeWrite: { _ in
            if failWrites.load(ordering: .relaxed) { throw SQLiteError(code: 10, message: "disk I/O error (simulated)") }
        })
        let reported = Atomic<Bool>(false)
        var configuration = StorageNodeConfiguration()
        configuration.onPersistenceFailure = { _ in reported.store(true, ordering: .relaxed) }
        let node = try await StorageNode.open(persistence: persistence, configuration: configuration)

        guard case .table(let table) = await node.handle(.createTable(name: "notes"), connection: 1),
              case .timestamp(let begin, _) = await node.handle(.latestTimestamp, connection: 1)
        else { return XCTFail("setup failed") }
        failWrites.store(true, ordering: .relaxed)
        let (id, doc) = TestNode.document(table, ["n": 1.0], creationTs: begin)
        let response = await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: id, value: doc)])), connection: 1)
        guard case .error(let error) = response else { return XCTFail("a failed write was acknowledged: \(response)") }
        XCTAssertEqual(error.code, .unavailable)
        XCTAssertTrue(reported.load(ordering: .relaxed))

        // Even once the disk recovers, this node instance refuses to commit: its memory is ahead of the disk.
        failWrites.store(false, ordering: .relaxed)
        let (otherID, other) = TestNode.document(table, ["n": 2.0], creationTs: begin)
        let later = await node.handle(.commit(CommitRequest(beginTs: begin, readSet: ReadSet(), writes: [DocumentWrite(id: otherID, value: other)])), connection: 1)
        guard case .error(let laterError) = later else { return XCTFail("committed after a persistence failure") }
        XCTAssertEqual(laterError.code, .unavailable)
        try await node.close()

        // A restart recovers from what is durable: the failed commit is not there.
        let restarted = try await StorageNode.open(persistence: try SQLitePersistence(path: path))
        guard case .timestamp(let ts, _) = await restarted.handle(.latestTimestamp, connection: 1),
              case .documents(let docs) = await restarted.handle(.get(ts: ts, ids: [id]), connection: 1)
        else { return XCTFail("reads after restart failed") }
        XCTAssertEqual(docs, [nil])
        XCTAssertEqual(ts, begin)
        try await restarted.close()
    }
}
