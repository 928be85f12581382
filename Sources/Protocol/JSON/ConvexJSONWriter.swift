/// Writes values as `convex_encoded_json` (docs/values-and-ids.md): canonical, no whitespace, object keys sorted.
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

    /// Runs of bytes that need no escape are appended whole: most strings are such a run.
    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for (i, c) in utf8.enumerated() where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                writeEscaped(c)
                runStart = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ c: UInt8) {
        switch c {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        case 0x08: append("\\b")
        case 0x0C: append("\\f")
        default:
            let hex = Array("0123456789abcdef".utf8)
            append("\\u00")
            bytes.append(hex[Int(c >> 4)])
            bytes.append(hex[Int(c & 0xF)])
        }
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
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Digits in reverse into a fixed buffer (a UInt64 has at most 20), then appended in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var count = 0
            repeat {
                let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
                digits[digits.count - 1 - count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digit)
                count += 1
                magnitude = quotient
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(digits.count - count)...]))
        }
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
