import ConvergeTestSupport
import FunctionRunner
import Protocol
import XCTest

/// `paginate()` as Convex pages: sealed cursors tied to their query, the journal that keeps a live
/// page's end, split cursors and page status, read limits, and the errors of bad options.
final class PaginationTests: XCTestCase {
    let app = AppHarness()

    override func setUp() async throws { try await app.start() }
    override func tearDown() async throws { await app.stop() }

    @discardableResult
    private func insert(_ bodies: [String], author: String = "anon") async throws -> [String] {
        let ids = try await app.mutationValue("pages:insertAll", ["bodies": .array(bodies.map(Value.string)), "author": .string(author)])
        return ids.arrayValue.compactMap(\.stringValue)
    }

    /// A run of `pages:of`, with the journal it leaves.
    private func page(_ options: [String: Value], author: String? = nil, byAuthor: Bool = false, skip: String? = nil, order: String? = nil,
                      journal: String? = nil) async throws -> (outcome: FunctionOutcome, journal: String?) {
        var args: [String: Value] = ["paginationOpts": .object(options)]
        if let author { args["author"] = .string(author) }
        if byAuthor { args["byAuthor"] = true }
        if let skip { args["skip"] = .string(skip) }
        if let order { args["order"] = .string(order) }
        var request = AppHarness.request("pages:of", args)
        request.journal = journal
        let result = try await app.executor.runQuery(request)
        return (result.outcome, result.journal)
    }

    private func pageValue(_ options: [String: Value], author: String? = nil, skip: String? = nil, order: String? = nil,
                           journal: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws -> Value {
        try app.value(try await page(options, author: author, skip: skip, order: order, journal: journal).outcome, file: file, line: line)
    }

    private static func first(_ n: Int, after cursor: Value = .null) -> [String: Value] {
        ["numItems": .float64(Double(n)), "cursor": cursor]
    }

    // MARK: Pages and cursors

    func testPagesJoinExactlyAndTheLastIsDoneOnlyOnceItReadsPastTheEnd() async throws {
        try await insert(["a", "b", "c", "d"])
        let one = try await pageValue(Self.first(2))
        XCTAssertEqual(one["page"], ["a", "b"])
        XCTAssertEqual(one["isDone"], false)
        let two = try await pageValue(Self.first(2, after: one["continueCursor"]!))
        XCTAssertEqual(two["page"], ["c", "d"])
        XCTAssertEqual(two["isDone"], false, "a full page does not look past its last document")
        let three = try await pageValue(Self.first(2, after: two["continueCursor"]!))
        XCTAssertEqual(three["page"], [])
        XCTAssertEqual(three["isDone"], true)
        let past = try await pageValue(Self.first(2, after: three["continueCursor"]!))
        XCTAssertEqual(past["page"], [], "a page from the end cursor is empty")
        XCTAssertEqual(past["isDone"], true)
    }

    func testEveryResultHasASplitCursorAndPageStatusKeyAndCursorsAreOpaque() async throws {
        try await insert(["a", "b"])
        let result = try await pageValue(Self.first(5))
        XCTAssertEqual(result["splitCursor"], .null, "two rows read: no middle to split at")
        XCTAssertEqual(result["pageStatus"], .null)
        guard case .string(let cursor)? = result["continueCursor"] else { return XCTFail("no continueCursor") }
        let bytes = try XCTUnwrap(Base64.decode(cursor))
        let anon = Array("anon".utf8)
        XCTAssertFalse((0...(bytes.count - anon.count)).contains { Array(bytes[$0..<($0 + anon.count)]) == anon },
                       "a cursor does not show the index values it holds")
    }

    func testTheSplitCursorIsTheMiddleRowReadAndSplitsThePageInTwo() async throws {
        try await insert(["a", "b", "c", "d", "e", "f"])
        let whole = try await pageValue(Self.first(6))
        XCTAssertEqual(whole["page"], ["a", "b", "c", "d", "e", "f"])
        let split = try XCTUnwrap(whole["splitCursor"])
        XCTAssertNotEqual(split, .null)
        let left = try await pageValue(["numItems": 6.0, "cursor": .null, "endCursor": split])
        let right = try await pageValue(["numItems": 6.0, "cursor": split, "endCursor": whole["continueCursor"]!])
        XCTAssertEqual(left["page"], ["a", "b", "c", "d"], "after the row at index 3 of 6")
        XCTAssertEqual(right["page"], ["e", "f"])
        XCTAssertEqual(right["continueCursor"], whole["continueCursor"], "a page with an end cursor continues from it")
    }

    func testAnEndCursorReadsEverythingUpToItWhateverNumItemsSays() async throws {
        try await insert(["a", "b", "c", "d"])
        let first = try await pageValue(Self.first(3))
        try await insert(["e"])
        let rerun = try await pageValue(["numItems": 1.0, "cursor": .null, "endCursor": first["continueCursor"]!])
        XCTAssertEqual(rerun["page"], ["a", "b", "c"])
        XCTAssertEqual(rerun["continueCursor"], first["continueCursor"])
    }

    /// `paginate({endCursor})` ends the page exactly at that cursor, rows inserted since before it
    /// included: usePaginatedQuery relies on it to keep page boundaries when documents are inserted into
    /// an earlier page.
    func testAnEndCursorKeepsThePageEndWhenRowsAreInsertedBeforeIt() async throws {
        for author in ["b", "d", "f", "h", "j", "l"] {
            _ = try await app.mutationValue("review:insertRaw", ["doc": ["body": .string(author), "author": .string(author)]])
        }
        let first = try await app.queryValue("review:pageByAuthor", ["cursor": .null, "numItems": 3.0])
        XCTAssertEqual(first["authors"], ["b", "d", "f"])
        let end = try XCTUnwrap(first["continueCursor"])
        _ = try await app.mutationValue("review:insertRaw", ["doc": ["body": "a", "author": "a"]])
        let rerun = try await app.queryValue("review:pageByAuthor", ["cursor": .null, "numItems": 3.0, "endCursor": end])
        XCTAssertEqual(rerun["authors"], ["a", "b", "d", "f"], "the page keeps its end; otherwise `f` falls between pages")
    }

    func testDescendingPagesWalkBackwards() async throws {
        try await insert(["a", "b", "c", "d", "e"])
        let one = try await pageValue(Self.first(2), order: "desc")
        let two = try await pageValue(Self.first(2, after: one["continueCursor"]!), order: "desc")
        XCTAssertEqual(one["page"], ["e", "d"])
        XCTAssertEqual(two["page"], ["c", "b"])
        let again = try await pageValue(["numItems": 9.0, "cursor": one["continueCursor"]!, "endCursor": two["continueCursor"]!], order: "desc")
        XCTAssertEqual(again["page"], ["c", "b"])
    }

    func testAMutationPagesOverItsOwnWrites() async throws {
        try await insert(["stored"])
        let bodies = try await app.mutationValue("pages:insertThenPage", ["body": "fresh"])
        XCTAssertEqual(bodies, ["stored", "fresh"])
    }

    // MARK: The journal

    func testTheJournalKeepsALivePageEndingWhereItFirstEnded() async throws {
        var ids: [String: String] = [:]
        for author in ["b", "d", "f", "h", "j"] { ids[author] = try await insert([author], author: author)[0] }
        let first = try await page(Self.first(3), byAuthor: true)
        let journal = try XCTUnwrap(first.journal, "a query that paginated leaves a journal")
        let firstValue = try app.value(first.outcome)
        XCTAssertEqual(firstValue["page"], ["b", "d", "f"])

        try await insert(["c"], author: "c")
        let grown = try await page(Self.first(3), byAuthor: true, journal: journal)
        let grownValue = try app.value(grown.outcome)
        XCTAssertEqual(grownValue["page"], ["b", "c", "d", "f"], "an insert inside the page grows it")
        XCTAssertEqual(grownValue["continueCursor"], firstValue["continueCursor"], "the next page still starts where it did")
        XCTAssertEqual(grown.journal, journal, "a re-run ending at the same place leaves the same journal")

        _ = try await app.mutationValue("messages:remove", ["id": .string(ids["b"]!)])
        _ = try await app.mutationValue("messages:remove", ["id": .string(ids["d"]!)])
        let shrunk = try app.value(try await page(Self.first(3), byAuthor: true, journal: journal).outcome)
        XCTAssertEqual(shrunk["page"], ["c", "f"], "deletes shrink it rather than pull in the next page")
        XCTAssertEqual(shrunk["continueCursor"], firstValue["continueCursor"])

        let withoutJournal = try app.value(try await page(Self.first(3), byAuthor: true).outcome)
        XCTAssertEqual(withoutJournal["page"], ["c", "f", "h"], "without the journal, a page is numItems long")
    }

    func testALastPageThatReachedTheEndKeepsGrowing() async throws {
        try await insert(["a"])
        let first = try await page(Self.first(5))
        XCTAssertEqual(try app.value(first.outcome)["isDone"], true)
        try await insert(["b", "c", "d", "e", "f", "g"])
        let grown = try app.value(try await page(Self.first(5), journal: first.journal).outcome)
        XCTAssertEqual(grown["page"], ["a", "b", "c", "d", "e", "f", "g"])
        XCTAssertEqual(grown["isDone"], true)
    }

    func testAQueryThatDidNotPaginateLeavesNoJournal() async throws {
        try await insert(["a"])
        let result = try await app.executor.runQuery(AppHarness.request("messages:list"))
        XCTAssertNil(result.journal)
    }

    func testAJournalOfAnotherQueryFailsWithInvalidCursor() async throws {
        try await insert(["a", "b"], author: "x")
        let journal = try await page(Self.first(1), author: "x").journal
        XCTAssertNotNil(journal)
        let error = try app.error(try await page(Self.first(1), author: "y", journal: journal).outcome)
        XCTAssertEqual(error.data, ["isConvexSystemError": true, "paginationError": "InvalidCursor"])
    }

    // MARK: Cursors of other queries, and made-up ones

    func testACursorOfAnotherRangeIndexOrFilterIsAConvexErrorTheClientResetsOn() async throws {
        try await insert(["a", "b", "c"], author: "x")
        let cursor = try await pageValue(Self.first(1), author: "x")["continueCursor"]!
        let expected: Value = ["isConvexSystemError": true, "paginationError": "InvalidCursor"]
        for (author, skip, order) in [("y", nil, nil), (nil, nil, nil), ("x", "b", nil), ("x", nil, "desc")] as [(String?, String?, String?)] {
            let error = try app.error(try await page(Self.first(1, after: cursor), author: author, skip: skip, order: order).outcome)
            XCTAssertEqual(error.data, expected, "author \(author ?? "-"), skip \(skip ?? "-"), order \(order ?? "asc")")
            XCTAssertTrue(error.message.contains("InvalidCursor"), error.message)
        }
        let same = try await pageValue(Self.first(1, after: cursor), author: "x")
        XCTAssertEqual(same["page"], ["b"], "the same query takes it")
    }

    func testTheFunctionCanCatchTheInvalidCursorAsAConvexError() async throws {
        try await insert(["a", "b"])
        let cursor = try await pageValue(Self.first(1))["continueCursor"]!
        let caught = try await app.queryValue("pages:caught", ["cursor": cursor])
        XCTAssertEqual(caught, ["name": "ConvexError", "data": ["isConvexSystemError": true, "paginationError": "InvalidCursor"]])
    }

    func testACursorThatWasNeverIssuedIsAnError() async throws {
        try await insert(["a", "b"])
        guard case .string(let real)? = try await pageValue(Self.first(1))["continueCursor"] else { return XCTFail("no cursor") }
        var bytes = try XCTUnwrap(Base64.decode(real))
        bytes[bytes.count / 2] ^= 1
        for made in ["nonsense", "", Base64.encode(bytes), String(real.dropLast(4))] {
            let error = try app.error(try await page(Self.first(1, after: .string(made))).outcome)
            XCTAssertTrue(error.message.contains("InvalidCursor"), "\(made): \(error.message)")
            XCTAssertNil(error.data, "an unreadable cursor is not the ConvexError of a foreign one")
        }
    }

    func testACursorSealedWithAnotherInstanceSecretIsUnreadable() async throws {
        try await insert(["a", "b"])
        let cursor = try await pageValue(Self.first(1))["continueCursor"]!
        let other = FunctionExecutor(isolate: app.executor.isolate, storage: app.storage,
                                     seal: CursorSeal(instanceSecret: Array(repeating: 8, count: 32)))
        let outcome = try await other.runQuery(AppHarness.request("pages:of", ["paginationOpts": .object(Self.first(1, after: cursor))])).outcome
        XCTAssertTrue(try app.error(outcome).message.contains("InvalidCursor"))
    }

    // MARK: Limits and page status

    func testMaximumRowsReadStopsThePageWithSplitRequiredCountingFilteredRows() async throws {
        try await insert(["keep1", "skip", "skip", "keep2", "skip", "keep3", "keep4"])
        let options: [String: Value] = ["numItems": 10.0, "cursor": .null, "maximumRowsRead": 4.0]
        let first = try await pageValue(options, skip: "skip")
        XCTAssertEqual(first["page"], ["keep1", "keep2"], "four rows read, two kept")
        XCTAssertEqual(first["pageStatus"], "SplitRequired")
        XCTAssertEqual(first["isDone"], false)
        var next = options
        next["cursor"] = first["continueCursor"]!
        let second = try await pageValue(next, skip: "skip")
        XCTAssertEqual(second["page"], ["keep3", "keep4"], "the next page starts after the last row read")
        XCTAssertEqual(second["isDone"], true)
        XCTAssertEqual(second["pageStatus"], .null)
    }

    func testMaximumBytesReadStopsAfterTheRowThatCrossesIt() async throws {
        try await insert(["a", "b", "c", "d"])
        let result = try await pageValue(["numItems": 10.0, "cursor": .null, "maximumBytesRead": 1.0])
        XCTAssertEqual(result["page"], ["a"], "a page always reads at least one row")
        XCTAssertEqual(result["pageStatus"], "SplitRequired")
    }

    func testAPagePastThreeQuartersOfItsRowLimitRecommendsASplit() async throws {
        try await insert(["a", "b", "c", "d", "e", "f", "g"])
        let near = try await pageValue(["numItems": 7.0, "cursor": .null, "maximumRowsRead": 8.0])
        XCTAssertEqual(near["pageStatus"], "SplitRecommended", "7 rows read > 6, three quarters of 8")
        let below = try await pageValue(["numItems": 6.0, "cursor": .null, "maximumRowsRead": 8.0])
        XCTAssertEqual(below["pageStatus"], .null)
    }

    func testAnEndCursorIgnoresTheReadLimits() async throws {
        try await insert(["a", "b", "c", "d", "e"])
        let whole = try await pageValue(Self.first(5))
        let rerun = try await pageValue(["numItems": 5.0, "cursor": .null, "endCursor": whole["continueCursor"]!, "maximumRowsRead": 2.0])
        XCTAssertEqual(rerun["page"], ["a", "b", "c", "d", "e"])
        XCTAssertEqual(rerun["pageStatus"], "SplitRecommended", "over three quarters of its limit, it recommends a split instead")
    }

    // MARK: Bad options

    func testBadOptionsAreRejected() async throws {
        try await insert(["a"])
        let cases: [([String: Value], String)] = [
            (["numItems": 0.0, "cursor": .null], "numItems"),
            (["numItems": 32_001.0, "cursor": .null], "32001"),
            (["numItems": 1.0, "cursor": .null, "maximumRowsRead": 0.0], "maximumRowsRead"),
            (["numItems": 1.0, "cursor": .null, "maximumBytesRead": 0.0], "maximumBytesRead"),
        ]
        for (options, mention) in cases {
            let error = try app.error(try await page(options).outcome)
            XCTAssertTrue(error.message.contains(mention), "\(options): \(error.message)")
        }
    }

    func testPaginationOptsValidatorRejectsAMissingCursorAndANumItemsThatIsNotANumber() async throws {
        let missing = try app.error(try await app.query("pages:of", ["paginationOpts": ["numItems": 1.0]]))
        XCTAssertTrue(missing.message.contains("ArgumentValidationError: Object is missing the required field `cursor`"), missing.message)
        let text = try app.error(try await app.query("pages:of", ["paginationOpts": ["numItems": "ten", "cursor": .null]]))
        XCTAssertTrue(text.message.contains("ArgumentValidationError: Value does not match validator."), text.message)
        XCTAssertTrue(text.message.contains("Path: .paginationOpts.numItems"), text.message)
    }

    func testAFunctionPaginatesOnce() async throws {
        try await insert(["a"])
        let error = try app.error(try await app.query("pages:twice"))
        XCTAssertTrue(error.message.contains("only one paginated"), error.message)
    }
}
