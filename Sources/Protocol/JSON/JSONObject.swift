/// Writes one JSON object field by field: protocol integers as JSON integers (never `1.0`, which the
/// Rust client's u32 fields refuse), values in `convex_encoded_json`.
public struct JSONObject {
    private var json = "{"
    private var isEmpty = true

    public init() {}

    /// `key` is one of the protocol's field names, which need no escaping.
    public mutating func raw(_ key: String, _ json: String) {
        if !isEmpty { self.json += "," }
        isEmpty = false
        self.json += "\""
        self.json += key
        self.json += "\":"
        self.json += json
    }

    public mutating func string(_ key: String, _ value: String) { raw(key, Self.quoted(value)) }
    public mutating func integer(_ key: String, _ value: Int64) { raw(key, String(value)) }
    public mutating func value(_ key: String, _ value: Value) { raw(key, ConvexJSONWriter.encodeString(value)) }
    public mutating func strings(_ key: String, _ values: [String]) { raw(key, "[" + values.map(Self.quoted).joined(separator: ",") + "]") }

    /// The object so far, closed; more fields may still be added.
    public var text: String { json + "}" }

    /// `s` as a JSON string literal: quoted, with escapes.
    public static func quoted(_ s: String) -> String {
        var writer = ConvexJSONWriter()
        writer.writeString(s)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
