import ConvergeTestSupport
import Protocol
import StorageClient
import XCTest

/// Invalidations travel from the storage process to the connection that subscribed, for exactly the
/// subscriptions a commit touched.
final class SubscriptionStreamTests: XCTestCase {
    func testCommitInvalidatesOnlyTouchedSubscriptionsOfTheSubscriber() async throws {
        let node = StorageProcess()
        defer { node.stop(); node.removeData() }
        try node.start()
        let subscriber = try await node.connect()
        let writer = try await node.connect()
        _ = try await writer.createTable("messages")
        let byChannel = try await writer.createIndex(table: "messages", name: "by_channel", fields: ["channel"])
        let catalog = try await writer.catalog()

        let inbox = InvalidationInbox(subscriber)
        let ts = try await subscriber.latestTimestamp()
        let checkedThrough = try await subscriber.subscribe(SubscribeRequest(id: 1, ts: ts, readSet: ReadSet([byChannel.id: [.prefix(["general"])]])))
        XCTAssertEqual(checkedThrough, ts)
        let watermark = try await inbox.next()
        XCTAssertEqual(watermark, Invalidation(subscriptionIDs: [], ts: ts), "the stream reaches what the subscription was checked through")
        try await subscriber.subscribe(SubscribeRequest(id: 2, ts: ts, readSet: ReadSet([byChannel.id: [.prefix(["random"])]])))

        var tx = try await StorageTransaction.begin(writer, catalog: catalog)
        try tx.insert(into: "messages", ["channel": "general", "body": "hi"])
        guard case .committed(let commitTs) = try await tx.commit() else { return XCTFail("commit failed") }

        let invalidation = try await inbox.next()
        XCTAssertEqual(invalidation.subscriptionIDs, [1])
        XCTAssertEqual(invalidation.ts, commitTs)

        // Subscription 2 is still registered and fires on its own channel.
        var tx2 = try await StorageTransaction.begin(writer, catalog: catalog)
        try tx2.insert(into: "messages", ["channel": "random", "body": "yo"])
        guard case .committed(let secondTs) = try await tx2.commit() else { return XCTFail("commit failed") }
        let second = try await inbox.next()
        XCTAssertEqual(second, Invalidation(subscriptionIDs: [2], ts: secondTs))
        await subscriber.close()
        await writer.close()
    }
}

/// Collects a client's invalidations as they arrive.
final class InvalidationInbox: Sendable {
    private let received = Locked<[Invalidation]>([])
    private let reader: Task<Void, Never>

    init(_ client: StorageClient) {
        let received = self.received
        reader = Task {
            for await invalidation in client.invalidations { received.withLock { $0.append(invalidation) } }
        }
    }

    deinit { reader.cancel() }

    /// The oldest invalidation not yet taken, waiting up to `seconds` for one.
    func next(seconds: Double = 10) async throws -> Invalidation {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let first = received.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return first }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("no invalidation within \(seconds) s")
    }
}
