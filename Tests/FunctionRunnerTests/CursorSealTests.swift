import Protocol
import XCTest

@testable import FunctionRunner

/// Page cursors and journals as values: sealed deterministically, opened only with the same secret
/// and purpose, tied to their query's fingerprint; one paginated query per run.
final class CursorSealTests: XCTestCase {
    let seal = CursorSeal(instanceSecret: Array(repeating: 3, count: 32))
    let query = QueryFingerprint(query: #"{"table":"messages"}"#, indexFields: [])
    let other = QueryFingerprint(query: #"{"table":"messages","order":"desc"}"#, indexFields: [])

    func testACursorOpensToWhatWasSealedAndSealsTheSameEachTime() throws {
        for position in [PageCursor.Position.end, .after([]), .after([1, 2, 3, 0, 255])] {
            let cursor = PageCursor(position: position, fingerprint: query)
            XCTAssertEqual(try seal.open(seal.seal(cursor)), cursor)
            XCTAssertEqual(seal.seal(cursor), seal.seal(cursor), "a re-run that ends at the same place returns the same text")
        }
        XCTAssertNotEqual(seal.seal(PageCursor(position: .end, fingerprint: query)), seal.seal(PageCursor(position: .end, fingerprint: other)))
    }

    func testTamperedShortForeignAndMisusedTextIsUnreadable() throws {
        let cursor = PageCursor(position: .after([9, 9]), fingerprint: query)
        let text = seal.seal(cursor)
        var bytes = try XCTUnwrap(Base64.decode(text))
        bytes[5] ^= 0x40
        let foreign = CursorSeal(instanceSecret: Array(repeating: 4, count: 32)).seal(cursor)
        for bad in ["", "AQ==", Base64.encode(bytes), String(text.dropLast(8)), foreign, seal.sealJournal(endingAt: cursor)] {
            XCTAssertThrowsError(try seal.open(bad)) { XCTAssertEqual($0 as? PaginationError, .unreadableCursor, bad) }
        }
        XCTAssertThrowsError(try seal.openJournal(text), "a cursor is not a journal")
    }

    private func options(_ numItems: Int = 2, cursor: String? = nil, endCursor: String? = nil) -> Pagination.Options {
        Pagination.Options(numItems: numItems, cursor: cursor, endCursor: endCursor)
    }

    func testBoundsComeFromTheCursorsAndAnEndCursorOutranksTheJournal() throws {
        let journal = seal.sealJournal(endingAt: PageCursor(position: .after([5]), fingerprint: query))
        let pagination = Pagination(seal: seal, journal: journal)
        let limits = (rows: 100, bytes: 1_000)
        let fromJournal = try pagination.bounds(options(), fingerprint: query, limits: limits)
        XCTAssertEqual(fromJournal.end, .after([5]))
        XCTAssertNil(fromJournal.maximumRowsRead)
        let start = seal.seal(PageCursor(position: .after([1]), fingerprint: query))
        let end = seal.seal(PageCursor(position: .end, fingerprint: query))
        let given = try pagination.bounds(options(cursor: start, endCursor: end), fingerprint: query, limits: limits)
        XCTAssertEqual(given.after, [1])
        XCTAssertEqual(given.end, .end)
        let fresh = try Pagination(seal: seal, journal: nil).bounds(Pagination.Options(numItems: 2, maximumRowsRead: 40), fingerprint: query, limits: limits)
        XCTAssertNil(fresh.end)
        XCTAssertEqual(fresh.maximumRowsRead, 40)
        XCTAssertEqual(fresh.softRows, 30)
        XCTAssertEqual(fresh.softBytes, 750)
    }

    func testACursorOrJournalOfAnotherQueryIsTheConvexErrorOfOne() throws {
        let foreign = seal.seal(PageCursor(position: .after([1]), fingerprint: other))
        let limits = (rows: 100, bytes: 1_000)
        for (pagination, given) in [(Pagination(seal: seal, journal: nil), options(cursor: foreign)),
                                    (Pagination(seal: seal, journal: nil), options(endCursor: foreign)),
                                    (Pagination(seal: seal, journal: seal.sealJournal(endingAt: PageCursor(position: .end, fingerprint: other))), options())] {
            XCTAssertThrowsError(try pagination.bounds(given, fingerprint: query, limits: limits)) { error in
                XCTAssertEqual(error as? PaginationError, .cursorOfAnotherQuery)
                XCTAssertEqual((error as? PaginationError)?.convexErrorData, ["isConvexSystemError": true, "paginationError": "InvalidCursor"])
            }
        }
    }

    func testARunFinishesOnePageAndItsEndIsTheJournal() throws {
        var pagination = Pagination(seal: seal, journal: nil)
        XCTAssertNil(pagination.journal)
        let cursors = try pagination.finish(fingerprint: query, at: .after([7]), split: [3])
        XCTAssertEqual(try seal.open(cursors.continueCursor), PageCursor(position: .after([7]), fingerprint: query))
        XCTAssertEqual(try seal.open(XCTUnwrap(cursors.splitCursor)), PageCursor(position: .after([3]), fingerprint: query))
        XCTAssertEqual(try seal.openJournal(XCTUnwrap(pagination.journal)), PageCursor(position: .after([7]), fingerprint: query))
        XCTAssertThrowsError(try pagination.finish(fingerprint: query, at: .end, split: nil)) {
            XCTAssertEqual($0 as? PaginationError, .secondPaginatedQuery)
        }
    }
}
