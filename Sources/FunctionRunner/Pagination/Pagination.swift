import Foundation
import Protocol

/// The paginated query of one function run: where its page starts and ends, and the journal it
/// leaves for the next run of the same subscription.
///
/// The journal is Convex's: a page that ran without an end cursor records where it ended, the
/// coordinator keeps that with the client's query (and sends it to the client, whose JS library
/// hands it back when it re-subscribes), and every later run of the query reads up to exactly there.
/// So a live page grows when documents are inserted inside it and shrinks when they are deleted,
/// and its `continueCursor` still joins exactly onto the next page.
struct Pagination {
    /// A page's bounds and limits, as the runtime's `paginate()` walks them.
    struct Bounds: Equatable {
        var fingerprint: QueryFingerprint
        /// Start after this key; nil for the start of the range.
        var after: [UInt8]?
        /// The start cursor was the end of the range: the page is empty and done.
        var startsAtEnd: Bool
        /// The page ends at a cursor (given, or from the journal) rather than after `numItems`.
        var end: PageCursor.Position?
        var numItems: Int
        /// Reading stops there with `SplitRequired`: only without an end cursor, which must be read
        /// whole whatever it holds.
        var maximumRowsRead: Int?
        var maximumBytesRead: Int?
        /// Past three quarters of the limits, a page recommends that the client split it.
        var softRows: Int
        var softBytes: Int
    }

    /// What a run asks for: `paginationOpts` as the function passed them.
    struct Options {
        var numItems: Int
        var cursor: String? = nil
        var endCursor: String? = nil
        var maximumRowsRead: Int? = nil
        var maximumBytesRead: Int? = nil
    }

    /// Beyond this many documents a page recommends splitting: a page's array would near the value
    /// limit of 8,192 elements.
    static let softMaxPageLength = 8192 * 3 / 4

    private let seal: CursorSeal
    private let previousJournal: String?
    /// Where this run's page ended, once it paginated.
    private(set) var endCursor: PageCursor?

    init(seal: CursorSeal, journal: String?) {
        self.seal = seal
        previousJournal = journal
    }

    /// The journal for the next run: where this run's page ended, sealed; nil if it did not paginate.
    var journal: String? { endCursor.map(seal.sealJournal(endingAt:)) }

    /// Checks the options and opens the cursors of one `paginate()`. An end cursor given in the
    /// options wins over the journal's.
    func bounds(_ options: Options, fingerprint: QueryFingerprint, limits: (rows: Int, bytes: Int)) throws(PaginationError) -> Bounds {
        guard options.numItems > 0 else { throw .noItemsRequested }
        guard options.numItems <= limits.rows else { throw .tooManyItemsRequested(options.numItems, limit: limits.rows) }
        if options.maximumRowsRead.map({ $0 <= 0 }) ?? false || options.maximumBytesRead.map({ $0 <= 0 }) ?? false {
            throw .nonPositiveReadLimit
        }
        let start = try options.cursor.map { text throws(PaginationError) in try seal.open(text) }
        let end: PageCursor?
        if let text = options.endCursor {
            end = try seal.open(text)
        } else if let previousJournal {
            end = try seal.openJournal(previousJournal)
        } else {
            end = nil
        }
        for cursor in [start, end].compactMap(\.self) where cursor.fingerprint != fingerprint {
            throw .cursorOfAnotherQuery
        }
        var bounds = Bounds(fingerprint: fingerprint, after: nil, startsAtEnd: false, end: end?.position, numItems: options.numItems,
                            softRows: min(options.maximumRowsRead ?? limits.rows, limits.rows) * 3 / 4,
                            softBytes: min(options.maximumBytesRead ?? limits.bytes, limits.bytes) * 3 / 4)
        switch start?.position {
        case .after(let key)?: bounds.after = key
        case .end?: bounds.startsAtEnd = true
        case nil: break
        }
        if end == nil {
            bounds.maximumRowsRead = options.maximumRowsRead
            bounds.maximumBytesRead = options.maximumBytesRead
        }
        return bounds
    }

    /// Records where the page ended and seals the cursors the function returns.
    mutating func finish(fingerprint: QueryFingerprint, at position: PageCursor.Position,
                         split: [UInt8]?) throws(PaginationError) -> (continueCursor: String, splitCursor: String?) {
        guard endCursor == nil else { throw .secondPaginatedQuery }
        let end = PageCursor(position: position, fingerprint: fingerprint)
        endCursor = end
        return (seal.seal(end), split.map { seal.seal(PageCursor(position: .after($0), fingerprint: fingerprint)) })
    }
}
