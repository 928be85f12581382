import Protocol
@testable import StorageNode
import XCTest

final class IndexAndScanTests: XCTestCase {
    var t: TestNode!

    override func setUp() async throws { t = try await TestNode() }
    override func tearDown() async throws { await t.remove() }

    func testNewTableHasBuiltInIndexesAndUserNumbers() async throws {
        let first = try await t.createTable("a")
        let second = try await t.createTable("b")
        XCTAssertEqual(first.number, TableNumber.firstUser)
        XCTAssertEqual(second.number, TableNumber.firstUser + 1)
        let again = try await t.createTable("a")
        XCTAssertEqual(again, first, "creating an existing table returns it")
        let byID = try await t.index("a", "by_id"), byCreation = try await t.index("a", "by_creation_time")
        XCTAssertEqual(byID.fields, ["_id"])
        XCTAssertEqual(byCreation.fields, ["_creationTime"])
    }

    func testInvalidNamesAreRejected() async throws {
        for name in ["", "_hidden", "1abc", "has space", String(repeating: "x", count: 65)] {
            do {
                try await t.createTable(name)
                XCTFail("accepted table name \(name.debugDescription)")
            } catch let error as StorageError { XCTAssertEqual(error.code, .badRequest) }
        }
        try await t.createTable("ok")
        for (name, fields) in [("by_x", [String]()), ("by_x", ["$bad"]), ("by_x", ["a..b"]), ("by_id", ["a"])] {
            do {
                try await t.createIndex("ok", name, fields)
                XCTFail("accepted index \(name) \(fields)")
            } catch let error as StorageError { XCTAssertEqual(error.code, .badRequest) }
        }
    }

    func testIndexOnExistingDataIsBackfilledBeforeItIsReadable() async throws {
        let table = try await t.createTable("people")
        for (name, age) in [("cy", 30.0), ("al", 25.0), ("bo", 41.0)] {
            try await t.insert(table, ["name": .string(name), "age": .float64(age)])
        }
        let byAge = try await t.createIndex("people", "by_age", ["age"])
        XCTAssertEqual(byAge.state, .ready)
        let page = try await t.scan(byAge)
        XCTAssertEqual(page.entries.map { $0.document.value["name"] }, ["al", "cy", "bo"])
        // Writes after creation maintain it.
        try await t.insert(table, ["name": "di", "age": 1.0])
        let after = try await t.scan(byAge)
        XCTAssertEqual(after.entries.first?.document.value["name"], "di")
    }

    func testIndexSurvivesRestart() async throws {
        let table = try await t.createTable("people")
        try await t.insert(table, ["name": "al", "age": 3.0])
        try await t.createIndex("people", "by_age", ["age"])
        try await t.reopen()
        let byAge = try await t.index("people", "by_age")
        XCTAssertEqual(byAge.state, .ready)
        let page = try await t.scan(byAge)
        XCTAssertEqual(page.entries.count, 1)
    }

    func testDroppedIndexIsGoneAndItsIDNeverReused() async throws {
        let table = try await t.createTable("people")
        try await t.insert(table, ["age": 3.0])
        let first = try await t.createIndex("people", "by_age", ["age"])
        _ = try await t.request(.dropIndex(table: "people", name: "by_age"))
        let catalog = try await t.catalog()
        XCTAssertNil(catalog.index(table: table.number, name: "by_age"))
        do {
            _ = try await t.scan(first)
            XCTFail("scan of a dropped index")
        } catch let error as StorageError { XCTAssertEqual(error.code, .notFound) }
        try await t.reopen()
        let second = try await t.createIndex("people", "by_age2", ["age"])
        XCTAssertGreaterThan(second.id, first.id)
        let page = try await t.scan(second)
        XCTAssertEqual(page.entries.count, 1)
    }

    func testCompoundIndexRangeWithBounds() async throws {
        let table = try await t.createTable("scores")
        for (player, score) in [("a", 1), ("a", 5), ("a", 9), ("b", 2), ("b", 7)] {
            try await t.insert(table, ["player": .string(player), "score": .int64(Int64(score))])
        }
        let index = try await t.createIndex("scores", "by_player_score", ["player", "score"])
        func scores(_ interval: KeyInterval, _ order: ScanOrder = .ascending) async throws -> [Value?] {
            try await t.scan(index, interval, order: order).entries.map { $0.document.value["score"] }
        }
        // eq(player, "a").gt(score, 1).lte(score, 9)
        let gtLte = KeyInterval.range(lower: IndexBound(["a", .int64(1)], inclusive: false), upper: IndexBound(["a", .int64(9)], inclusive: true))
        let r1 = try await scores(gtLte)
        XCTAssertEqual(r1, [.int64(5), .int64(9)])
        // eq(player, "a").gte(score, 1).lt(score, 9)
        let gteLt = KeyInterval.range(lower: IndexBound(["a", .int64(1)], inclusive: true), upper: IndexBound(["a", .int64(9)], inclusive: false))
        let r2 = try await scores(gteLt)
        XCTAssertEqual(r2, [.int64(1), .int64(5)])
        let desc = try await scores(.prefix(["b"]), .descending)
        XCTAssertEqual(desc, [.int64(7), .int64(2)])
    }

    func testScanPagesThroughLargeRangeInBothOrders() async throws {
        let table = try await t.createTable("items")
        let begin = try await t.latest()
        var writes: [DocumentWrite] = []
        for i in 0..<250 {
            let (id, doc) = TestNode.document(table, ["n": .int64(Int64(i))], creationTs: begin)
            writes.append(DocumentWrite(id: id, value: doc))
        }
        _ = try await t.commit(begin: begin, writes: writes)
        let byN = try await t.createIndex("items", "by_n", ["n"])
        for order in [ScanOrder.ascending, .descending] {
            var seen: [Int64] = []
            var cursor: [UInt8]? = nil
            var pages = 0
            repeat {
                let page = try await t.scan(byN, order: order, limit: 64, cursor: cursor)
                seen += page.entries.map { if case .int64(let n)? = $0.document.value["n"] { return n } else { return -1 } }
                cursor = page.cursor
                pages += 1
            } while cursor != nil
            let expected = (0..<250).map(Int64.init)
            XCTAssertEqual(seen, order == .ascending ? expected : expected.reversed())
            XCTAssertEqual(pages, 4)
        }
    }

    func testScanSkipsUpdatedAndDeletedVersions() async throws {
        let table = try await t.createTable("items")
        let byN = try await t.createIndex("items", "by_n", ["n"])
        var ids: [DocumentID] = []
        for i in 0..<10 { ids.append(try await t.insert(table, ["n": .int64(Int64(i))]).0) }
        // Update every document many times, moving it within the index, and delete every other one.
        for round in 1...5 {
            for (i, id) in ids.enumerated() {
                let doc = try await t.require(id)
                let begin = try await t.latest()
                _ = try await t.commit(begin: begin, writes: [DocumentWrite(id: id, value: TestNode.withFields(doc.value, ["n": .int64(Int64(i + round * 100))]))])
            }
        }
        for id in ids.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
            _ = try await t.commit(begin: try await t.latest(), writes: [DocumentWrite(id: id, value: nil)])
        }
        let page = try await t.scan(byN, limit: 3)
        XCTAssertEqual(page.entries.map { $0.document.value["n"] }, [.int64(501), .int64(503), .int64(505)])
        XCTAssertNotNil(page.cursor)
        let rest = try await t.scan(byN, limit: 3, cursor: page.cursor)
        XCTAssertEqual(rest.entries.map { $0.document.value["n"] }, [.int64(507), .int64(509)])
        XCTAssertNil(rest.cursor)
    }

    func testMissingFieldsSortFirst() async throws {
        let table = try await t.createTable("items")
        try await t.insert(table, ["n": 1.0])
        try await t.insert(table, [:])
        try await t.insert(table, ["n": .null])
        let byN = try await t.createIndex("items", "by_n", ["n"])
        let values = try await t.scan(byN).entries.map { $0.document.value["n"] }
        XCTAssertEqual(values, [nil, .null, 1.0])
    }

    func testReadsAtFutureTimestampsAreRejected() async throws {
        let table = try await t.createTable("items")
        let (id, ts) = try await t.insert(table, ["n": 1.0])
        do {
            _ = try await t.get(id, at: ts + 1_000_000_000)
            XCTFail("read in the future")
        } catch let error as StorageError { XCTAssertEqual(error.code, .badRequest) }
    }
}
