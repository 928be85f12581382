import ConvergeTestSupport
@testable import Coordinator
import Foundation
import FunctionRunner
import NIOCore
import NIOEmbedded
import Protocol
import XCTest

/// `SyncSession` on its own: a real coordinator (storage node and a db runner as processes, the
/// fixture app pushed), and the session's socket an in-memory channel whose frames the test reads.
/// Transitions chain their versions, carry what changed and only that, settle mutations, and go out
/// one at a time.
final class SyncSessionTests: XCTestCase {
    private let node = StorageProcess()
    private let coordinator = Coordinator(instanceSecret: StorageProcess.secret, waitForRunners: .seconds(5))
    private var runner: RunnerProcess?

    override func setUp() async throws {
        try node.start()
        try await coordinator.connectStorage(try XCTUnwrap(node.endpoint))
        let address = try await coordinator.listenForRunners(on: .tcp(host: "127.0.0.1", port: 0))
        runner = try RunnerProcess(coordinator: .tcp(host: "127.0.0.1", port: try XCTUnwrap(address?.port)), storage: node.endpoint, pool: "db")
        for _ in 0..<500 where await coordinator.runnerCount(.db) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        _ = try await coordinator.push(bundle: try FixtureApp.bundle.get())
    }

    override func tearDown() async throws {
        runner?.kill()
        await coordinator.shutdown()
        node.stop()
        node.removeData()
    }

    /// A session whose socket is an in-memory channel; the test reads what it sends.
    private final class Client: @unchecked Sendable {
        let channel = NIOAsyncTestingChannel()
        var session: SyncSession!
        private var looping: Task<Void, Never>?
        private var received: [[String: Any]] = []

        func open(_ coordinator: Coordinator) async throws {
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
            // The socket's writes go through the loop: keep it running.
            let loop = channel.testingEventLoop
            looping = Task {
                while !Task.isCancelled {
                    await loop.run()
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            session = SyncSession(coordinator: coordinator, hub: try coordinator.hub, instanceName: "test",
                                  socket: try await SyncSocket(channel: channel), end: { _ in })
        }

        func close() async {
            await session?.close()
            looping?.cancel()
        }

        /// The messages sent so far, each a WebSocket text frame's JSON.
        func messages() async throws -> [[String: Any]] {
            while let frame = try await channel.readOutbound(as: ByteBuffer.self) {
                received.append(try Self.json(of: frame))
            }
            return received
        }

        /// Waits (up to 10 s) until `count` messages of `type` have been sent; all messages so far.
        func waitFor(_ type: String, count: Int = 1) async throws -> [[String: Any]] {
            for _ in 0..<1000 {
                let all = try await messages()
                if all.filter({ $0["type"] as? String == type }).count >= count { return all }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw TestFailure("no \(count) × \(type) in \(try await messages().map { $0["type"] ?? "?" })")
        }

        /// Waits for a MutationResponse and the Transition after it; all messages so far.
        func waitForSettling() async throws -> [[String: Any]] {
            for _ in 0..<1000 {
                let all = try await messages()
                if let response = all.firstIndex(where: { $0["type"] as? String == "MutationResponse" }),
                   all[(response + 1)...].contains(where: { $0["type"] as? String == "Transition" }) {
                    return all
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw TestFailure("no settled mutation in \(try await messages().map { $0["type"] ?? "?" })")
        }

        private static func json(of frame: ByteBuffer) throws -> [String: Any] {
            var frame = frame
            guard frame.readInteger(as: UInt8.self) == 0x81, let short = frame.readInteger(as: UInt8.self) else { throw TestFailure("not a text frame") }
            switch short {
            case 126: frame.moveReaderIndex(forwardBy: 2)
            case 127: frame.moveReaderIndex(forwardBy: 8)
            default: break
            }
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(frame.readableBytesView)) as? [String: Any])
        }
    }

    private func client() async throws -> Client {
        let client = Client()
        try await client.open(coordinator)
        addTeardownBlock { await client.close() }
        return client
    }

    private static func add(_ queryId: UInt32, _ path: String, _ args: [String: Value] = [:]) -> SyncClientMessage.QuerySetModification {
        .add(queryId: queryId, udfPath: path, args: [.object(args)], journal: nil, componentPath: nil)
    }

    private static func transitions(_ messages: [[String: Any]]) -> [[String: Any]] {
        messages.filter { $0["type"] as? String == "Transition" }
    }

    private struct Version: Equatable {
        var querySet: Int
        var identity: Int
        var ts: Timestamp
    }

    private static func version(_ transition: [String: Any], _ end: String) -> Version {
        let fields = transition[end] as? [String: Any] ?? [:]
        return Version(querySet: fields["querySet"] as? Int ?? -1, identity: fields["identity"] as? Int ?? -1, ts: timestamp(fields["ts"]))
    }

    /// What each query was last sent, by query ID, over `transitions` in order.
    private static func latestValues(_ transitions: [[String: Any]]) -> [Int: Any] {
        var values: [Int: Any] = [:]
        for modification in transitions.flatMap(modifications) where modification["type"] as? String == "QueryUpdated" {
            if let id = modification["queryId"] as? Int { values[id] = modification["value"] }
        }
        return values
    }

    private static func bodies(_ value: Any?) -> [String]? {
        (value as? [[String: Any]])?.map { $0["body"] as? String ?? "?" }
    }

    private static func modifications(_ transition: [String: Any]) -> [[String: Any]] {
        transition["modifications"] as? [[String: Any]] ?? []
    }

    private static func timestamp(_ text: Any?) -> Timestamp {
        (text as? String).flatMap(SyncTimestamp.decode) ?? 0
    }

    /// Every Transition starts where the one before it ended, the first at the initial version.
    private static func assertChained(_ transitions: [[String: Any]], file: StaticString = #filePath, line: UInt = #line) {
        var previous = Version(querySet: 0, identity: 0, ts: 0)
        for transition in transitions {
            XCTAssertEqual(version(transition, "startVersion"), previous, "a Transition that does not start where the last ended", file: file, line: line)
            previous = version(transition, "endVersion")
        }
    }

    func testSyncSessionAddingAQueryMovesTheQuerySetVersionWithItsFirstResult() async throws {
        let client = try await client()
        try await client.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [Self.add(0, "messages:list")]))
        let transitions = Self.transitions(try await client.waitFor("Transition"))
        XCTAssertEqual(transitions.count, 1)
        XCTAssertEqual(Self.version(transitions[0], "endVersion").querySet, 1)
        let modifications = Self.modifications(transitions[0])
        XCTAssertEqual(modifications.count, 1)
        XCTAssertEqual(modifications.first?["type"] as? String, "QueryUpdated")
        XCTAssertEqual(modifications.first?["queryId"] as? Int, 0)
        XCTAssertEqual((modifications.first?["value"] as? [Any])?.count, 0, "the table is empty")
        Self.assertChained(transitions)
    }

    func testSyncSessionAMutationIsAnsweredThenSettledByATransitionAtItsTimestamp() async throws {
        let client = try await client()
        try await client.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [Self.add(0, "messages:list")]))
        _ = try await client.waitFor("Transition")
        try await client.session.handle(.mutation(requestId: 0, udfPath: "messages:send", args: [["body": "hi"]], componentPath: nil))
        // The commit's invalidation may send a Transition of its own before the response.
        let messages = try await client.waitForSettling()
        let response = try XCTUnwrap(messages.firstIndex { $0["type"] as? String == "MutationResponse" })
        XCTAssertEqual(messages[response]["success"] as? Bool, true)
        let committedAt = Self.timestamp(messages[response]["ts"])
        XCTAssertGreaterThan(committedAt, 0)
        // The Transition after the response covers its timestamp; by then the client has the write
        // (in that Transition, or in one its commit's invalidation sent before).
        let settlingIndex = try XCTUnwrap(messages[(response + 1)...].firstIndex { $0["type"] as? String == "Transition" })
        XCTAssertGreaterThanOrEqual(Self.version(messages[settlingIndex], "endVersion").ts, committedAt)
        XCTAssertEqual(Self.bodies(Self.latestValues(Self.transitions(Array(messages[...settlingIndex])))[0]), ["hi"])
        Self.assertChained(Self.transitions(messages))
    }

    func testSyncSessionAMutationThatTouchesNoQueryRunsNoneAndTheTransitionCarriesNothing() async throws {
        let client = try await client()
        try await client.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [
            Self.add(0, "messages:list"), Self.add(1, "counters:get", ["name": "a"]),
        ]))
        _ = try await client.waitFor("Transition")
        let executions = coordinator.queryCacheStatistics().executions
        try await client.session.handle(.mutation(requestId: 0, udfPath: "counters:increment", args: [["name": "b"]], componentPath: nil))
        let messages = try await client.waitFor("Transition", count: 2)
        let settling = try XCTUnwrap(Self.transitions(messages).last)
        XCTAssertTrue(Self.modifications(settling).isEmpty, "neither query's result changed: \(Self.modifications(settling))")
        XCTAssertEqual(coordinator.queryCacheStatistics().executions, executions, "a query no commit touched was run again")
        Self.assertChained(Self.transitions(messages))
    }

    func testSyncSessionAWriteToAQuerysDataUpdatesOnlyThatQuery() async throws {
        let client = try await client()
        try await client.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [
            Self.add(0, "messages:list"), Self.add(1, "counters:get", ["name": "a"]),
        ]))
        _ = try await client.waitFor("Transition")
        try await client.session.handle(.mutation(requestId: 0, udfPath: "counters:increment", args: [["name": "a"]], componentPath: nil))
        let settled = try await client.waitForSettling()
        // Every Transition after the first results: only the counter's query changed.
        let updates = Self.transitions(settled).dropFirst().flatMap(Self.modifications)
        XCTAssertEqual(updates.map { $0["queryId"] as? Int }, [1])
        XCTAssertEqual((updates.first?["value"] as? [String: Any])?["$integer"] as? String, SyncSessionTests.int64JSON(1))
    }

    /// The `$integer` text of an int64, as the value encoding writes it.
    private static func int64JSON(_ value: Int64) -> String {
        withUnsafeBytes(of: value.littleEndian) { Base64.encode($0) }
    }

    func testSyncSessionAnotherClientsCommitReachesAWatchingSession() async throws {
        let watcher = try await client()
        try await watcher.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [Self.add(0, "messages:list")]))
        _ = try await watcher.waitFor("Transition")
        _ = try await coordinator.run(try XCTUnwrap(CanonicalFunctionPath("messages:send")), kind: .mutation, args: ["body": "from elsewhere"])
        let messages = try await watcher.waitFor("Transition", count: 2)
        XCTAssertEqual(Self.bodies(Self.latestValues(Self.transitions(messages))[0]), ["from elsewhere"])
        Self.assertChained(Self.transitions(messages))
    }

    func testSyncSessionRemovingAQuerySaysSoAndItIsNotUpdatedAgain() async throws {
        let client = try await client()
        try await client.session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [Self.add(0, "messages:list")]))
        _ = try await client.waitFor("Transition")
        try await client.session.handle(.modifyQuerySet(baseVersion: 1, newVersion: 2, modifications: [.remove(queryId: 0)]))
        let afterRemove = try await client.waitFor("Transition", count: 2)
        let removal = try XCTUnwrap(Self.transitions(afterRemove).last)
        XCTAssertEqual(Self.modifications(removal).map { $0["type"] as? String }, ["QueryRemoved"])
        XCTAssertEqual(Self.version(removal, "endVersion").querySet, 2)
        try await client.session.handle(.mutation(requestId: 0, udfPath: "messages:send", args: [["body": "hi"]], componentPath: nil))
        let messages = try await client.waitFor("Transition", count: 3)
        XCTAssertTrue(Self.modifications(try XCTUnwrap(Self.transitions(messages).last)).isEmpty)
        Self.assertChained(Self.transitions(messages))
    }

    func testSyncSessionAQuerySetChangeFromAnotherBaseEndsTheSession() async throws {
        let client = try await client()
        do {
            try await client.session.handle(.modifyQuerySet(baseVersion: 3, newVersion: 4, modifications: [Self.add(0, "messages:list")]))
            XCTFail("a modification of version 3 was taken at version 0")
        } catch let error as SyncProtocolError {
            XCTAssertTrue(error.description.contains("Base version 3"), error.description)
        }
    }

    func testSyncSessionTransitionsGoOutOneAtATimeWhileMutationsAndQueryChangesInterleave() async throws {
        let client = try await client()
        let session = try XCTUnwrap(client.session)
        try await session.handle(.modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [Self.add(0, "messages:list")]))
        // Mutations queue and run in order off the handler; query-set changes come in meanwhile.
        for request in UInt32(0)..<6 {
            try await session.handle(.mutation(requestId: request, udfPath: "messages:send", args: [["body": .string("m\(request)")]], componentPath: nil))
        }
        try await session.handle(.modifyQuerySet(baseVersion: 1, newVersion: 2, modifications: [Self.add(1, "counters:get", ["name": "x"])]))
        try await session.handle(.modifyQuerySet(baseVersion: 2, newVersion: 3, modifications: [Self.add(2, "messages:list")]))
        _ = try await client.waitFor("MutationResponse", count: 6)
        // One Transition for the first query, one after each mutation, one for each query-set change.
        let settled = try await client.waitFor("Transition", count: 9)
        Self.assertChained(Self.transitions(settled))
        let responses = settled.filter { $0["type"] as? String == "MutationResponse" }
        XCTAssertEqual(responses.map { $0["requestId"] as? Int }, [0, 1, 2, 3, 4, 5], "mutations are answered in order")
        // In the end both live `messages:list` queries hold every message.
        for _ in 0..<200 {
            let latest = Self.latestValues(Self.transitions(try await client.messages()))
            if Self.bodies(latest[0])?.count == 6, Self.bodies(latest[2])?.count == 6 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("the queries did not end with all six messages: \(Self.latestValues(Self.transitions(try await client.messages())))")
    }
}
