import ConvergeTestSupport
import FunctionRunner
import Protocol
import XCTest

/// Every `ctx.db` operation and query-builder method of the runtime, run in JavaScriptCore against a
/// real storage node.
final class DatabaseAPITests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws { try await app.start() }
    override func tearDown() async throws { await app.stop() }

    @discardableResult
    private func send(_ body: String, author: String = "anon", n: Double? = nil) async throws -> String {
        var args: [String: Value] = ["body": .string(body), "author": .string(author)]
        if let n { args["n"] = .float64(n) }
        let id = try await app.mutationValue("messages:send", args)
        return try XCTUnwrap(id.stringValue)
    }

    func testInsertedDocumentsComeBackWithSystemFields() async throws {
        let id = try await send("hi", author: "ann")
        let list = try app.value(try await app.query("messages:list")).arrayValue
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list[0]["_id"], .string(id))
        XCTAssertEqual(list[0]["body"], "hi")
        guard case .float64(let created)? = list[0]["_creationTime"] else { return XCTFail("no _creationTime") }
        XCTAssertEqual(created, Date().timeIntervalSince1970 * 1000, accuracy: 60_000)
        XCTAssertNotNil(DocumentID(id))
    }

    func testIndexQueryWithEqualityInDescendingOrder() async throws {
        try await send("a1", author: "ann")
        try await send("b1", author: "bob")
        try await send("a2", author: "ann")
        let bodies = try app.value(try await app.query("messages:byAuthor", ["author": "ann"])).arrayValue.map { $0["body"] }
        XCTAssertEqual(bodies, ["a2", "a1"])
    }

    func testIndexRangeWithLowerAndUpperBounds() async throws {
        for author in ["al", "bo", "cy", "di"] { try await send("x", author: author) }
        let authors = try app.value(try await app.query("messages:authorsBetween", ["from": "bo", "to": "di"])).arrayValue
        XCTAssertEqual(authors, ["bo", "cy"])
    }

    /// `q.eq(field, undefined)` in an index range selects the documents that lack the field, not those
    /// where it is null, as Convex does.
    func testIndexEqUndefinedSelectsMissingFieldNotNull() async throws {
        _ = try await app.mutationValue("review:insertRaw", ["doc": ["body": "nullAuthor", "author": .null]])
        _ = try await app.mutationValue("review:insertRaw", ["doc": ["body": "noAuthor"]])
        let bodies = try await app.queryValue("review:authorUndefined")
        XCTAssertEqual(bodies, ["noAuthor"])
    }

    func testGetPatchAndDeleteInBothCallForms() async throws {
        let id = try await send("first")
        let r1 = try await app.queryValue("messages:get", ["id": .string(id)])
        XCTAssertEqual(r1["body"], "first")
        let r2 = try await app.queryValue("messages:getWithTable", ["id": .string(id)])
        XCTAssertEqual(r2["body"], "first")
        let r3 = try await app.mutationValue("messages:edit", ["id": .string(id), "body": "second"])
        XCTAssertEqual(r3["body"], "second")
        let r4 = try await app.mutationValue("messages:editWithTable", ["id": .string(id), "body": "third"])
        XCTAssertEqual(r4["body"], "third")
        let removed = try app.value(try await app.mutation("messages:remove", ["id": .string(id)]))
        XCTAssertEqual(removed, .null, "a deleted document reads back as null in the same mutation")
        let r5 = try await app.queryValue("messages:get", ["id": .string(id)])
        XCTAssertEqual(r5, .null)
    }

    /// A mutation may delete a document it inserted itself: it commits, a no-op as in Convex, and the
    /// document reads back as null.
    func testInsertThenDeleteInOneMutationCommits() async throws {
        do {
            let outcome = try await app.mutation("review:insertThenDelete")
            XCTAssertEqual(try app.value(outcome), .null)
        } catch {
            XCTFail("insert then delete in one mutation failed: \(error)")
        }
    }

    func testPatchWithUndefinedRemovesTheField() async throws {
        let id = try await send("x", n: 3)
        let cleared = try app.value(try await app.mutation("messages:edit", ["id": .string(id), "clearN": true]))
        XCTAssertNil(cleared["n"])
        XCTAssertEqual(cleared["body"], "x")
    }

    func testReplaceAcceptsTheDocumentsOwnSystemFields() async throws {
        let id = try await send("x", author: "a")
        let replaced = try app.value(try await app.mutation("messages:replaceKeepingSystemFields", ["id": .string(id)]))
        XCTAssertEqual(replaced["body"], "replaced")
        XCTAssertEqual(replaced["_id"], .string(id))
    }

    func testTableFormRejectsAnIDOfAnotherTable() async throws {
        let counterID = try app.value(try await app.mutation("counters:increment", ["name": "c"]))
        XCTAssertEqual(counterID, .int64(1))
        let catalog = try await app.storage.catalog()
        let byID = try XCTUnwrap(catalog.index(table: try XCTUnwrap(catalog.table(named: "counters")).number, name: "by_id"))
        let ts = try await app.storage.latestTimestamp()
        let page = try await app.storage.scan(ScanRequest(ts: ts, index: byID.id, interval: .all, order: .ascending, limit: 1))
        let id = try XCTUnwrap(page.entries.first?.document.id.description)
        let error = try app.error(try await app.query("messages:getWithTable", ["id": .string(id)]))
        XCTAssertTrue(error.message.contains("is not an ID of table \"messages\""), error.message)
    }

    func testFilterExpressions() async throws {
        try await send("low", n: 1)
        try await send("high", author: "ann", n: 5)
        try await send("blocked", author: "mallory", n: 9)
        let bodies = try app.value(try await app.query("messages:filtered", ["above": 2.0])).arrayValue.map { $0["body"] }
        XCTAssertEqual(bodies, ["high"])
    }

    func testFirstTakeUniqueAndIteration() async throws {
        try await send("one", author: "a")
        try await send("two", author: "b")
        try await send("three", author: "b")
        let result = try app.value(try await app.query("messages:firstAndTake"))
        XCTAssertEqual(result["first"]?["body"], "one")
        XCTAssertEqual(result["two"]?.arrayValue.map { $0["body"] }, ["three", "two"])
        let r6 = try await app.queryValue("messages:uniqueByAuthor", ["author": "a"])
        XCTAssertEqual(r6["body"], "one")
        let r7 = try await app.queryValue("messages:uniqueByAuthor", ["author": "z"])
        XCTAssertEqual(r7, .null)
        let error = try app.error(try await app.query("messages:uniqueByAuthor", ["author": "b"]))
        XCTAssertTrue(error.message.contains("unique() query returned more than one result"), error.message)
        let r8 = try await app.queryValue("messages:iterate")
        XCTAssertEqual(r8, ["one", "two", "three"])
    }

    func testPaginationIsStableAcrossInsertsAndDeletesBetweenPages() async throws {
        var ids: [String] = []
        for i in 0..<7 { ids.append(try await send("m\(i)")) }
        let first = try app.value(try await app.query("messages:page", ["paginationOpts": ["numItems": 3.0, "cursor": .null]]))
        XCTAssertEqual(first["page"]?.arrayValue.map { $0["body"] }, ["m0", "m1", "m2"])
        XCTAssertEqual(first["isDone"], false)
        // Between pages: delete one already returned, delete one not yet returned, add one at the end.
        _ = try app.value(try await app.mutation("messages:remove", ["id": .string(ids[1])]))
        _ = try app.value(try await app.mutation("messages:remove", ["id": .string(ids[4])]))
        try await send("m7")
        let second = try app.value(try await app.query("messages:page", ["paginationOpts": ["numItems": 3.0, "cursor": first["continueCursor"]!]]))
        XCTAssertEqual(second["page"]?.arrayValue.map { $0["body"] }, ["m3", "m5", "m6"])
        let third = try app.value(try await app.query("messages:page", ["paginationOpts": ["numItems": 3.0, "cursor": second["continueCursor"]!]]))
        XCTAssertEqual(third["page"]?.arrayValue.map { $0["body"] }, ["m7"])
        XCTAssertEqual(third["isDone"], true)
    }

    func testMutationReadsItsOwnWrites() async throws {
        try await send("stored", author: "self")
        let result = try app.value(try await app.mutation("messages:sendAndReadBack", ["body": "fresh"]))
        XCTAssertEqual(result["seen"], ["stored", "fresh"], "by_author orders by author, then _creationTime")
        XCTAssertEqual(result["n"], 7.0)
    }

    func testQueryOfATableNobodyWroteIsEmptyAndFirstInsertCreatesIt() async throws {
        let countersBefore = try app.value(try await app.query("counters"))
        XCTAssertEqual(countersBefore, 0.0)
        let r9 = try await app.mutationValue("counters:increment", ["name": "x"])
        XCTAssertEqual(r9, .int64(1))
        let r10 = try await app.mutationValue("counters:increment", ["name": "x"])
        XCTAssertEqual(r10, .int64(2))
        let r11 = try await app.queryValue("counters:get", ["name": "x"])
        XCTAssertEqual(r11, .int64(2))
    }

    func testNormalizeIdChecksTheTable() async throws {
        let id = try await send("x")
        let r12 = try await app.queryValue("messages:normalize", ["id": .string(id)])
        XCTAssertEqual(r12, [.string(id), .null])
        let r13 = try await app.queryValue("messages:normalize", ["id": "nonsense"])
        XCTAssertEqual(r13, [.null, .null])
    }

    func testInt64BytesAndSpecialFloatsRoundTrip() async throws {
        let result = try app.value(try await app.query("messages:bytesAndInts", ["i": .int64(-21), "b": .bytes([1, 2, 3])]))
        XCTAssertEqual(result["i"], .int64(-42))
        XCTAssertEqual(result["len"], 3.0)
        XCTAssertEqual(result["nan"], .float64(.nan))
        XCTAssertEqual(result["negZero"], .float64(-0.0))
    }

    func testEveryFilterOperator() async throws {
        for n in [1.0, 2, 3, 4, 5] { try await send("n\(n)", n: n) }
        let result = try await app.queryValue("messages:arithmeticFilter")
        XCTAssertEqual(result["orNot"], [1.0, 4.0, 5.0])
        XCTAssertEqual(result["lteGte"], [2.0, 3.0])
        XCTAssertEqual(result["math"], [1.0, 3.0, 5.0], "(2n + 2) % 4 == 0 for odd n")
        XCTAssertEqual(result["divNeg"], [3.0, 4.0, 5.0], "-(n / 2) < -1")
    }
}
