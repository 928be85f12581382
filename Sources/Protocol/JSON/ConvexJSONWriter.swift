/// Writes values as `convex_encoded_json` (spec §3): canonical, no whitespace, object keys sorted.
public struct ConvexJSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A writer with room for about `capacity` bytes, which grows its buffer once rather than at
    /// each doubling when the caller can tell the size.
    public init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    public static func encode(_ value: Value) -> [UInt8] {
        var writer = ConvexJSONWriter()
        writer.write(value)
        return writer.bytes
    }

    public static func encodeString(_ value: Value) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    public mutating func write(_ value: Value) {
        switch value {
        case .null: append("null")
        case .boolean(let b): append(b ? "true" : "false")
        case .string(let s): writeString(s)
        case .int64(let i):
            withUnsafeBytes(of: i.littleEndian) { writeWrapper("$integer", Base64.encode($0)) }
        case .float64(let d):
            if d.isFinite && !(d == 0 && d.sign == .minus) {
                writeFiniteDouble(d)
            } else {
                withUnsafeBytes(of: d.bitPattern.littleEndian) { writeWrapper("$float", Base64.encode($0)) }
            }
        case .bytes(let b): writeWrapper("$bytes", Base64.encode(b))
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (i, field) in Value.sortedFields(fields).enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(field.key)
                bytes.append(UInt8(ascii: ":"))
                write(field.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Every float carries a `.` or an exponent, so that readers (the Python client among them) keep it a float.
    private mutating func writeFiniteDouble(_ d: Double) {
        let text = d.description
        append(text)
        if !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            append(".0")
        }
    }

    private mutating func writeWrapper(_ key: String, _ payload: String) {
        bytes.append(UInt8(ascii: "{"))
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        writeString(payload)
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(c >> 4)])
                bytes.append(hex[Int(c & 0xF)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
    }
}

/// For protocol messages written straight into one writer, with no text per field.
extension ConvexJSONWriter {
    /// Starts a field of an object: `{"key":` for its first field, `,"key":` for the others. Keys are
    /// the protocol's field names, which need no escaping. `endObject` closes the object.
    public mutating func beginField(_ key: String, first: Bool = false) {
        bytes.append(UInt8(ascii: first ? "{" : ","))
        bytes.append(UInt8(ascii: "\""))
        append(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
    }

    /// JSON text as it is: a value already encoded, or a literal such as `null`.
    public mutating func writeRaw(_ json: String) {
        append(json)
    }

    /// A protocol integer, as a JSON integer (never `1.0`, which the Rust client's u32 fields refuse).
    public mutating func writeInteger<Integer: BinaryInteger>(_ value: Integer) {
        append(String(value))
    }

    public mutating func writeStrings(_ strings: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, string) in strings.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(string)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
