import ConvergeTestSupport
import Protocol
import StorageClient
import XCTest

/// Many connections to a real storage process run read-modify-write transactions at once. The final
/// state must equal what the acknowledged commits add up to: nothing lost, nothing merged.
final class SerializabilityTests: XCTestCase {
    var node: StorageProcess!

    override func setUp() async throws {
        node = StorageProcess()
        try node.start()
    }

    override func tearDown() async throws {
        node.stop()
        node.removeData()
    }

    struct Tally: Sendable {
        var increments = 0
        var conflicts = 0
        var transfers: [(from: Int, to: Int, amount: Int64)] = []
    }

    func testConcurrentCountersAndTransfersAddUp() async throws {
        let setup = try await node.connect()
        _ = try await setup.createTable("counters")
        _ = try await setup.createTable("accounts")
        var tx = try await StorageTransaction.begin(setup)
        let counter = try tx.insert(into: "counters", ["n": .int64(0)])
        let accounts = try (0..<5).map { _ in try tx.insert(into: "accounts", ["balance": .int64(1000)]) }
        guard case .committed = try await tx.commit() else { return XCTFail("setup commit failed") }
        let catalog = try await setup.catalog()
        await setup.close()

        let clients = 8, operationsPerClient = 30
        let endpoint: Endpoint = node.endpoint
        let tallies = try await withThrowingTaskGroup(of: Tally.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    let client = try await StorageProcess.connect(to: endpoint)
                    defer { Task { await client.close() } }
                    var rng = SplitMix64(seed: UInt64(worker))
                    var tally = Tally()
                    for op in 0..<operationsPerClient {
                        if op % 2 == 0 {
                            try await Self.retrying(&tally) {
                                var tx = try await StorageTransaction.begin(client, catalog: catalog)
                                guard case .int64(let n)? = try await tx.get(counter)?["n"] else { throw TestFailure("counter missing") }
                                try await tx.replace(counter, with: ["n": .int64(n + 1)])
                                return try await tx.commit()
                            }
                            tally.increments += 1
                        } else {
                            let from = Int.random(in: 0..<5, using: &rng)
                            let to = (from + Int.random(in: 1..<5, using: &rng)) % 5
                            let amount = Int64.random(in: 1...50, using: &rng)
                            var moved = false
                            try await Self.retrying(&tally) {
                                var tx = try await StorageTransaction.begin(client, catalog: catalog)
                                guard case .int64(let a)? = try await tx.get(accounts[from])?["balance"],
                                      case .int64(let b)? = try await tx.get(accounts[to])?["balance"]
                                else { throw TestFailure("account missing") }
                                moved = a >= amount
                                if moved {
                                    try await tx.replace(accounts[from], with: ["balance": .int64(a - amount)])
                                    try await tx.replace(accounts[to], with: ["balance": .int64(b + amount)])
                                }
                                return try await tx.commit()
                            }
                            if moved { tally.transfers.append((from, to, amount)) }
                        }
                    }
                    return tally
                }
            }
            return try await group.reduce(into: [Tally]()) { $0.append($1) }
        }

        let check = try await node.connect()
        let ts = try await check.latestTimestamp()
        let docs = try await check.get([counter] + accounts, at: ts)
        await check.close()
        XCTAssertEqual(docs[0]?.value["n"], .int64(Int64(tallies.reduce(0) { $0 + $1.increments })))
        XCTAssertEqual(tallies.reduce(0) { $0 + $1.increments }, clients * operationsPerClient / 2)
        var expected = [Int64](repeating: 1000, count: 5)
        for transfer in tallies.flatMap(\.transfers) {
            expected[transfer.from] -= transfer.amount
            expected[transfer.to] += transfer.amount
        }
        XCTAssertEqual(docs[1...].map { $0?.value["balance"] }, expected.map { .int64($0) })
        XCTAssertEqual(expected.reduce(0, +), 5000)
        XCTAssertGreaterThan(tallies.reduce(0) { $0 + $1.conflicts }, 0, "eight writers on one counter must have conflicted")
    }

    func testSecondOfTwoOverlappingTransactionsIsRejected() async throws {
        let client = try await node.connect()
        defer { Task { await client.close() } }
        _ = try await client.createTable("counters")
        var setup = try await StorageTransaction.begin(client)
        let counter = try setup.insert(into: "counters", ["n": .int64(0)])
        _ = try await setup.commit()
        var first = try await StorageTransaction.begin(client)
        var second = try await StorageTransaction.begin(client)
        XCTAssertEqual(first.beginTs, second.beginTs)
        for tx in [0, 1] {
            if tx == 0 { try await first.replace(counter, with: ["n": .int64(1)]) } else { try await second.replace(counter, with: ["n": .int64(1)]) }
        }
        guard case .committed = try await first.commit() else { return XCTFail("first commit failed") }
        let result = try await second.commit()
        XCTAssertEqual(result, .conflict(table: "counters"))
        let value = try await client.get([counter], at: try await client.latestTimestamp())
        XCTAssertEqual(value[0]?.value["n"], .int64(1), "the second increment must not have been merged in")
    }

    /// Runs a transaction until it commits, counting conflicts.
    static func retrying(_ tally: inout Tally, _ body: () async throws -> CommitResult) async throws {
        for attempt in 0..<200 {
            switch try await body() {
            case .committed: return
            case .conflict:
                tally.conflicts += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...min(20, attempt * 2))))
            case .alreadyCommitted:
                throw TestFailure("these transactions carry no idempotency key")
            }
        }
        throw TestFailure("transaction never committed")
    }
}
