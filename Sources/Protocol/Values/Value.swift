/// A Convex value: the data model of documents, arguments and results.
///
/// Objects are maps with unique field names; Convex treats them as sorted by field name,
/// which is how they are encoded, compared and written out.
public enum Value: Sendable {
    case null
    case int64(Int64)
    case float64(Double)
    case boolean(Bool)
    case string(String)
    case bytes([UInt8])
    case array([Value])
    case object([String: Value])
}

extension Value: Hashable {
    /// Floats compare by bit pattern: Convex keeps -0.0 and +0.0 apart, and a NaN equals itself.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.int64(a), .int64(b)): return a == b
        case let (.float64(a), .float64(b)): return a.bitPattern == b.bitPattern
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .int64(let v): hasher.combine(1); hasher.combine(v)
        case .float64(let v): hasher.combine(2); hasher.combine(v.bitPattern)
        case .boolean(let v): hasher.combine(3); hasher.combine(v)
        case .string(let v): hasher.combine(4); hasher.combine(v)
        case .bytes(let v): hasher.combine(5); hasher.combine(v)
        case .array(let v): hasher.combine(6); hasher.combine(v)
        case .object(let v): hasher.combine(7); hasher.combine(v)
        }
    }
}

extension Value {
    /// The value at a dotted field path (`"a.b.c"`), or nil where a step is missing or not an object.
    public func value(atPath path: [String]) -> Value? {
        var current = self
        for field in path {
            guard case .object(let fields) = current, let next = fields[field] else { return nil }
            current = next
        }
        return current
    }

    public subscript(field: String) -> Value? {
        guard case .object(let fields) = self else { return nil }
        return fields[field]
    }

    /// The object's fields ordered by field name (byte order of UTF-8), the canonical order.
    public static func sortedFields(_ fields: [String: Value]) -> [(key: String, value: Value)] {
        fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}

// Deliberately not ExpressibleByNilLiteral: `nil` must keep meaning "absent" wherever a `Value?` is
// expected (a deletion, a missing field), never silently become `.null`.
extension Value: ExpressibleByBooleanLiteral, ExpressibleByStringLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .float64(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    /// A repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
