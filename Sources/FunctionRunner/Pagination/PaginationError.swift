import Protocol

/// Why `paginate()` refused to run. The function sees each as an `Error` it may catch; a cursor of
/// another query is a `ConvexError` whose data the JS client's `usePaginatedQuery` recognizes, and
/// resets its pages on.
enum PaginationError: Error, Equatable, CustomStringConvertible {
    /// Not a cursor this deployment issued: made up, cut short, or sealed with another instance secret.
    case unreadableCursor
    /// Issued by this deployment, for a query with another table, index, range, order or filter.
    case cursorOfAnotherQuery
    /// Convex keeps one end cursor per query run (its journal), so a function paginates once.
    case secondPaginatedQuery
    case noItemsRequested
    case tooManyItemsRequested(Int, limit: Int)
    case nonPositiveReadLimit

    var description: String {
        switch self {
        case .unreadableCursor:
            "InvalidCursor: the cursor could not be read; it was not issued by this deployment"
        case .cursorOfAnotherQuery:
            "InvalidCursor: this cursor was issued for a different query (another table, index, range, order or filter)"
        case .secondPaginatedQuery:
            "A query or mutation may run only one paginated database query; this one ran a second"
        case .noItemsRequested:
            "paginate() needs numItems of at least 1"
        case let .tooManyItemsRequested(n, limit):
            "paginate() asked for \(n) items; a function reads at most \(limit) documents"
        case .nonPositiveReadLimit:
            "maximumRowsRead and maximumBytesRead must be greater than 0"
        }
    }

    /// What the function's `ConvexError` carries, for the errors that are one.
    var convexErrorData: Value? {
        guard self == .cursorOfAnotherQuery else { return nil }
        return ["isConvexSystemError": true, "paginationError": "InvalidCursor"]
    }
}
