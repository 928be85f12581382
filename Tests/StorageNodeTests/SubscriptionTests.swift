import Protocol
@testable import StorageNode
import Synchronization
import XCTest

/// Collects the invalidations pushed to one connection.
final class InvalidationRecorder: Sendable {
    private let received = Mutex<[Invalidation]>([])

    var ids: Set<UInt64> { received.withLock { Set($0.flatMap(\.subscriptionIDs)) } }
    var all: [Invalidation] { received.withLock { $0 } }

    func record(_ invalidation: Invalidation) { received.withLock { $0.append(invalidation) } }
}

final class SubscriptionTests: XCTestCase {
    var t: TestNode!
    let recorder = InvalidationRecorder()

    override func setUp() async throws {
        t = try await TestNode()
        t.node.attach(connection: 1) { [recorder] in recorder.record($0) }
    }

    override func tearDown() async throws { await t.remove() }

    private func subscribe(_ id: UInt64, _ readSet: ReadSet, at ts: Timestamp) async throws {
        _ = try await t.request(.subscribe(SubscribeRequest(id: id, ts: ts, readSet: readSet)))
    }

    func testWriteInvalidatesExactlyTheSubscriptionsThatReadIt() async throws {
        let table = try await t.createTable("messages")
        let byChannel = try await t.createIndex("messages", "by_channel", ["channel"])
        let byID = try await t.index("messages", "by_id")
        let (a, _) = try await t.insert(table, ["channel": "a"])
        let (b, _) = try await t.insert(table, ["channel": "b"])
        let ts = try await t.latest()
        let (missing, missingDoc) = TestNode.document(table, ["channel": "z"], creationTs: ts)

        try await subscribe(1, .point(a, byID: byID), at: ts)                          // point read of a
        try await subscribe(2, .point(b, byID: byID), at: ts)                          // point read of b
        try await subscribe(3, ReadSet([byChannel.id: [.prefix(["a"])]]), at: ts)     // range: channel a
        try await subscribe(4, ReadSet([byChannel.id: [.prefix(["c"])]]), at: ts)     // range: channel c (empty)
        try await subscribe(5, .point(missing, byID: byID), at: ts)                    // miss
        try await subscribe(6, ReadSet([byChannel.id: [.range(lower: IndexBound(["b"], inclusive: true), upper: nil)]]), at: ts)

        // Update a: touches its point read, channel a's range, and nothing in channel b and up.
        let docA = try await t.require(a)
        _ = try await t.commit(begin: ts, writes: [DocumentWrite(id: a, value: TestNode.withFields(docA.value, ["text": "edited"]))])
        try await waitFor { self.recorder.ids == [1, 3] }

        // Insert the missing document: touches the miss, and channel z is in the open range from b.
        _ = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: missing, value: missingDoc)])
        try await waitFor { self.recorder.ids == [1, 3, 5, 6] }
        XCTAssertFalse(recorder.ids.contains(2))
        XCTAssertFalse(recorder.ids.contains(4))
    }

    func testSubscriptionFiresOnceAndIsThenForgotten() async throws {
        let table = try await t.createTable("notes")
        let byID = try await t.index("notes", "by_id")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        try await subscribe(7, .point(id, byID: byID), at: ts)
        for n in 2...3 {
            let doc = try await t.require(id)
            _ = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": .float64(Double(n))]))])
        }
        try await waitFor { !self.recorder.all.isEmpty }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(recorder.all.flatMap(\.subscriptionIDs), [7])
        let count = await t.node.committer.subscriptionCount
        XCTAssertEqual(count, 0)
    }

    func testSubscriptionToAlreadyChangedReadSetFiresImmediately() async throws {
        let table = try await t.createTable("notes")
        let byID = try await t.index("notes", "by_id")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        let doc = try await t.require(id)
        _ = try await t.commit(begin: ts, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 2.0]))])
        // The query ran at `ts`, and the change landed before it subscribed.
        try await subscribe(9, .point(id, byID: byID), at: ts)
        try await waitFor { self.recorder.ids == [9] }
    }

    func testUnsubscribedAndDisconnectedSubscriptionsDoNotFire() async throws {
        let table = try await t.createTable("notes")
        let byID = try await t.index("notes", "by_id")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        try await subscribe(1, .point(id, byID: byID), at: ts)
        _ = try await t.request(.unsubscribe(ids: [1]))
        _ = try await t.request(.subscribe(SubscribeRequest(id: 2, ts: ts, readSet: .point(id, byID: byID))), connection: 2)
        await t.node.detach(connection: 2)
        let doc = try await t.require(id)
        _ = try await t.commit(begin: ts, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": 2.0]))])
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertTrue(recorder.ids.isEmpty)
        let count = await t.node.committer.subscriptionCount
        XCTAssertEqual(count, 0)
    }

    func testEveryPublishedTimestampReachesAConnectionThatHoldsSubscriptions() async throws {
        let table = try await t.createTable("notes")
        let byID = try await t.index("notes", "by_id")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        let (other, _) = try await t.insert(table, ["n": 1.0])
        let quietTs = try await t.latest()
        XCTAssertTrue(recorder.all.isEmpty, "no subscription, no watermark")

        // Subscribing when the connection's watermark is behind brings it to the published timestamp.
        let checkedThrough = try await t.request(.subscribe(SubscribeRequest(id: 1, ts: ts, readSet: .point(id, byID: byID))))
        XCTAssertEqual(checkedThrough, .timestamp(quietTs, catalogTs: t.node.committer.catalogChangeTs))
        XCTAssertEqual(recorder.all, [Invalidation(subscriptionIDs: [], ts: quietTs)])

        // A commit that touches none of its subscriptions still moves the watermark on.
        let untouched = try await set(other, n: 2, begin: quietTs)
        try await waitFor { self.recorder.all.last?.ts == untouched }
        XCTAssertEqual(recorder.all.last?.subscriptionIDs, [])

        // Once its last subscription fired, the connection hears of no more commits.
        let touched = try await set(id, n: 3, begin: untouched)
        try await waitFor { self.recorder.all.last == Invalidation(subscriptionIDs: [1], ts: touched) }
        let count = recorder.all.count
        _ = try await set(other, n: 4, begin: touched)
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(recorder.all.count, count)
    }

    /// Sets a note's `n` and returns the commit's timestamp.
    private func set(_ id: DocumentID, n: Double, begin: Timestamp) async throws -> Timestamp {
        let doc = try await t.require(id)
        guard case .committed(let ts) = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": .float64(n)]))]) else {
            throw TestError.unexpected
        }
        return ts
    }

    private func waitFor(_ condition: @escaping () -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("condition not met; received \(recorder.all)", file: file, line: line)
    }
}
