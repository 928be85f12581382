/// How the HTTP API writes values (docs/http-api.md, Value formats): `convex_encoded_json` (alias `convex_json`) keeps every
/// type; `json` (alias `convex_clean_json`) is the lossy clean form: int64 as a decimal string, NaN and
/// infinities as strings, bytes as plain base64.
public enum ValueFormat: Sendable {
    case encoded
    case clean

    /// Parses a format name; nil for no name or an unknown one.
    public init?(_ name: String?) {
        switch name {
        case nil: return nil
        case "convex_encoded_json", "convex_json": self = .encoded
        case "json", "convex_clean_json": self = .clean
        default: return nil
        }
    }

    public func json(_ value: Value) -> String {
        switch self {
        case .encoded: return ConvexJSONWriter.encodeString(value)
        case .clean: return ConvexJSONWriter.encodeString(Self.clean(value))
        }
    }

    /// The clean form as a value the JSON writer writes plainly (no `$` wrappers left).
    public static func clean(_ value: Value) -> Value {
        switch value {
        case .int64(let i): return .string(String(i))
        case .float64(let d) where d.isNaN: return "NaN"
        case .float64(let d) where d.isInfinite: return .string(d > 0 ? "Infinity" : "-Infinity")
        case .float64(let d) where d == 0 && d.sign == .minus: return .float64(0)
        case .bytes(let b): return .string(Base64.encode(b))
        case .array(let items): return .array(items.map(clean))
        case .object(let fields): return .object(fields.mapValues(clean))
        default: return value
        }
    }
}
