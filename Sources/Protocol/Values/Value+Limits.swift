/// Convex's value limits (docs/values-and-ids.md and docs/limits.md).
public enum ValueLimits {
    /// Largest value, by `Value.size` (32 MiB); `validate`'s default.
    public static let maxValueSize = 32 << 20
    /// Largest stored document, by `Value.size` (1 MiB).
    public static let maxDocumentSize = 1 << 20
    /// Deepest nesting of arrays and objects in a value; the JSON and binary readers' default too.
    public static let maxValueDepth = 64
    /// Deepest nesting of arrays and objects in a stored document.
    public static let maxDocumentDepth = 16
    public static let maxObjectFields = 1024
    public static let maxArrayLength = 8192
    /// Longest field name, in UTF-8 bytes.
    public static let maxFieldNameLength = 1024
}

extension Value {
    /// Convex's size accounting: what the byte limits are measured in.
    public var size: Int {
        switch self {
        case .null, .boolean: return 1
        case .int64, .float64: return 9
        case .string(let s): return s.utf8.count + 2
        case .bytes(let b): return b.count + 2
        case .array(let items): return items.reduce(2) { $0 + $1.size }
        case .object(let fields): return fields.reduce(2) { $0 + $1.key.utf8.count + 1 + $1.value.size }
        }
    }

    /// Nesting depth: a scalar is 0, an array or object is one more than its deepest child.
    public var depth: Int {
        switch self {
        case .array(let items): return 1 + (items.map(\.depth).max() ?? 0)
        case .object(let fields): return 1 + (fields.values.map(\.depth).max() ?? 0)
        default: return 0
        }
    }

    /// Checks field names, field counts, array lengths, depth and size against Convex's rules.
    public func validate(maxDepth: Int = ValueLimits.maxValueDepth, maxSize: Int = ValueLimits.maxValueSize) throws {
        try validateShape(remainingDepth: maxDepth, maxDepth: maxDepth)
        let size = self.size
        if size > maxSize { throw ValueError.tooLarge(size: size, limit: maxSize) }
    }

    /// Validates a stored document: an object with `_id` and `_creationTime`, user fields not starting with `_`,
    /// at most 1 MiB and 16 levels deep.
    public func validateDocument() throws {
        guard case .object(let fields) = self else { throw ValueError.notADocument("a document must be an object") }
        guard case .string = fields["_id"] else { throw ValueError.notADocument("missing string _id") }
        guard case .float64(let created) = fields["_creationTime"], created > 0, created.isFinite else {
            throw ValueError.notADocument("missing positive float64 _creationTime")
        }
        for key in fields.keys where key.hasPrefix("_") && key != "_id" && key != "_creationTime" {
            throw ValueError.invalidFieldName(key)
        }
        do {
            try validate(maxDepth: ValueLimits.maxDocumentDepth, maxSize: ValueLimits.maxDocumentSize)
        } catch ValueError.tooDeep {
            throw ValueError.documentTooNested(depth: nesting, limit: ValueLimits.maxDocumentDepth)
        }
    }

    /// Levels of objects and arrays: 0 for a scalar, 1 for `{a: 1}`.
    public var nesting: Int {
        switch self {
        case .array(let items): return 1 + (items.map(\.nesting).max() ?? 0)
        case .object(let fields): return 1 + (fields.values.map(\.nesting).max() ?? 0)
        default: return 0
        }
    }

    private func validateShape(remainingDepth: Int, maxDepth: Int) throws {
        switch self {
        case .array(let items):
            if remainingDepth <= 0 { throw ValueError.tooDeep(limit: maxDepth) }
            if items.count > ValueLimits.maxArrayLength {
                throw ValueError.arrayTooLong(count: items.count, limit: ValueLimits.maxArrayLength)
            }
            for item in items { try item.validateShape(remainingDepth: remainingDepth - 1, maxDepth: maxDepth) }
        case .object(let fields):
            if remainingDepth <= 0 { throw ValueError.tooDeep(limit: maxDepth) }
            if fields.count > ValueLimits.maxObjectFields {
                throw ValueError.tooManyFields(count: fields.count, limit: ValueLimits.maxObjectFields)
            }
            for (key, value) in fields {
                guard Value.isValidFieldName(key) else { throw ValueError.invalidFieldName(key) }
                try value.validateShape(remainingDepth: remainingDepth - 1, maxDepth: maxDepth)
            }
        default:
            break
        }
    }

    /// Field names are printable ASCII (0x20–0x7E), do not start with `$`, and are at most 1024 bytes.
    public static func isValidFieldName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count <= ValueLimits.maxFieldNameLength else { return false }
        if utf8.first == UInt8(ascii: "$") { return false }
        return utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }

    /// A field path, as indexes name their fields: valid field names joined by `.` (`author.name`).
    public static func isValidFieldPath(_ path: String) -> Bool {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { !$0.isEmpty && isValidFieldName(String($0)) }
    }

    /// Identifiers (table, index and function names): 1–64 chars, letter or `_` first, then letters,
    /// digits or `_`, not all underscores.
    public static func isValidIdentifier(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count) else { return false }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        let underscore = UInt8(ascii: "_")
        guard isLetter(utf8[0]) || utf8[0] == underscore else { return false }
        guard utf8.allSatisfy({ isLetter($0) || isDigit($0) || $0 == underscore }) else { return false }
        return !utf8.allSatisfy { $0 == underscore }
    }
}
