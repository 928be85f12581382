/// Why a value, document or its JSON form was rejected.
public enum ValueError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(String, offset: Int)
    case invalidFieldName(String)
    case invalidWrapper(String)
    case tooDeep(limit: Int)
    /// A document nested deeper than a document may be (Convex's text names both depths).
    case documentTooNested(depth: Int, limit: Int)
    case tooLarge(size: Int, limit: Int)
    case tooManyFields(count: Int, limit: Int)
    case arrayTooLong(count: Int, limit: Int)
    case notADocument(String)

    public var description: String {
        switch self {
        case let .invalidJSON(why, offset): return "invalid JSON at byte \(offset): \(why)"
        case let .invalidFieldName(name): return "invalid field name \(name.debugDescription)"
        case let .invalidWrapper(why): return "invalid special value: \(why)"
        case let .tooDeep(limit): return "value is nested more than \(limit) levels deep"
        case let .documentTooNested(depth, limit): return "Document is too nested (nested \(depth) levels deep > maximum nesting \(limit))"
        case let .tooLarge(size, limit): return "value is \(size) bytes, over the limit of \(limit)"
        case let .tooManyFields(count, limit): return "object has \(count) fields, over the limit of \(limit)"
        case let .arrayTooLong(count, limit): return "array has \(count) elements, over the limit of \(limit)"
        case let .notADocument(why): return "not a valid document: \(why)"
        }
    }
}
