import Crypto
import Protocol

/// Where a page of a paginated query ends: after an index key, or at the end of the query's range.
/// It names the query it belongs to by fingerprint, so it cannot start a page of another one.
struct PageCursor: Hashable, Sendable {
    enum Position: Hashable, Sendable {
        /// After this index key (the last one the page read, in the query's order).
        case after([UInt8])
        /// Past the last key of the range.
        case end
    }

    var position: Position
    var fingerprint: QueryFingerprint
}

/// SHA-256 of a query's description (table, index, range, order, filters) and of its index's
/// fields: a cursor is valid only for the query that issued it, so changed arguments (another range
/// or filter) or a redefined index fail loudly rather than return a page of something else.
struct QueryFingerprint: Hashable, Sendable {
    static let byteCount = SHA256.byteCount
    let bytes: [UInt8]

    init(query: String, indexFields: [String]) {
        var hash = SHA256()
        hash.update(data: Array(query.utf8))
        for field in indexFields { hash.update(data: [0] + Array(field.utf8)) }
        bytes = Array(hash.finalize())
    }

    init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }
}
