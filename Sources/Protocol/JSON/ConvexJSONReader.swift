/// Reads `convex_encoded_json` (docs/values-and-ids.md) straight into values, without an intermediate JSON tree.
///
/// Every JSON number becomes a float64; `{"$integer"|"$float"|"$bytes": …}` objects with one key are the
/// special wrappers; any other key starting with `$` is rejected.
public struct ConvexJSONReader {
    private let input: [UInt8]
    private var offset = 0
    private let maxDepth: Int

    /// Reads one value, whitespace around it allowed; throws `ValueError` if invalid or nested past `maxDepth`.
    public static func decode(_ bytes: [UInt8], maxDepth: Int = ValueLimits.maxValueDepth) throws -> Value {
        var reader = ConvexJSONReader(input: bytes, maxDepth: maxDepth)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw reader.error("trailing characters") }
        return value
    }

    public static func decode(_ text: String) throws -> Value {
        try decode(Array(text.utf8))
    }

    private init(input: [UInt8], maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    private func error(_ why: String) -> ValueError { .invalidJSON(why, offset: offset) }

    private mutating func skipWhitespace() {
        while offset < input.count {
            switch input[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func readValue(depth: Int) throws -> Value {
        guard offset < input.count else { throw error("unexpected end of input") }
        switch input[offset] {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expect("true"); return .boolean(true)
        case UInt8(ascii: "f"): try expect("false"); return .boolean(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .float64(try readNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expect(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard offset + n <= input.count else { throw error("unexpected end of input") }
        let matches = word.withUTF8Buffer { w in (0..<n).allSatisfy { input[offset + $0] == w[$0] } }
        guard matches else { throw error("unexpected literal") }
        offset += n
    }

    private mutating func readArray(depth: Int) throws -> Value {
        if depth > maxDepth { throw ValueError.tooDeep(limit: maxDepth) }
        offset += 1
        var items: [Value] = []
        skipWhitespace()
        if offset < input.count, input[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try readValue(depth: depth))
            skipWhitespace()
            guard offset < input.count else { throw error("unterminated array") }
            let c = input[offset]
            offset += 1
            if c == UInt8(ascii: "]") { return .array(items) }
            guard c == UInt8(ascii: ",") else { throw error("expected , or ]") }
        }
    }

    private mutating func readObject(depth: Int) throws -> Value {
        // A wrapper (`{"$integer": …}`) spells a scalar, not a level of nesting, so an object may sit one level
        // past the limit as long as it turns out to be a wrapper (checked below, once its one field is read).
        if depth > maxDepth + 1 { throw ValueError.tooDeep(limit: maxDepth) }
        offset += 1
        var fields: [String: Value] = [:]
        skipWhitespace()
        var closed = offset < input.count && input[offset] == UInt8(ascii: "}")
        if closed { offset += 1 }
        while !closed {
            skipWhitespace()
            guard offset < input.count, input[offset] == UInt8(ascii: "\"") else { throw error("expected field name") }
            let key = try readString()
            skipWhitespace()
            guard offset < input.count, input[offset] == UInt8(ascii: ":") else { throw error("expected :") }
            offset += 1
            skipWhitespace()
            let value = try readValue(depth: depth)
            if fields.updateValue(value, forKey: key) != nil { throw error("duplicate field \(key.debugDescription)") }
            skipWhitespace()
            guard offset < input.count else { throw error("unterminated object") }
            let c = input[offset]
            offset += 1
            closed = c == UInt8(ascii: "}")
            guard closed || c == UInt8(ascii: ",") else { throw error("expected , or }") }
        }
        let value = try Self.unwrapSpecial(fields)
        if depth > maxDepth, case .object = value { throw ValueError.tooDeep(limit: maxDepth) }
        return value
    }

    private static func unwrapSpecial(_ fields: [String: Value]) throws -> Value {
        if fields.count == 1, let (key, payload) = fields.first, key.hasPrefix("$") {
            guard case .string(let text) = payload, let raw = Base64.decode(text) else {
                throw ValueError.invalidWrapper("\(key) needs a base64 string")
            }
            switch key {
            case "$integer":
                guard raw.count == 8 else { throw ValueError.invalidWrapper("$integer needs 8 bytes") }
                return .int64(Int64(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
            case "$float":
                guard raw.count == 8 else { throw ValueError.invalidWrapper("$float needs 8 bytes") }
                let d = Double(bitPattern: UInt64(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
                // Ordinary numbers must be plain JSON numbers; only NaN, ±Inf and -0 travel wrapped.
                guard !d.isFinite || (d == 0 && d.sign == .minus) else {
                    throw ValueError.invalidWrapper("$float holds an ordinary number")
                }
                return .float64(d)
            case "$bytes":
                return .bytes(raw)
            default:
                throw ValueError.invalidFieldName(key)
            }
        }
        for key in fields.keys where !Value.isValidFieldName(key) {
            throw ValueError.invalidFieldName(key)
        }
        return .object(fields)
    }

    private mutating func readNumber() throws -> Double {
        let start = offset
        if input[offset] == UInt8(ascii: "-") { offset += 1 }
        let intStart = offset
        while offset < input.count, isDigit(input[offset]) { offset += 1 }
        guard offset > intStart else { throw error("bad number") }
        if input[intStart] == UInt8(ascii: "0"), offset - intStart > 1 { throw error("leading zero") }
        if offset < input.count, input[offset] == UInt8(ascii: ".") {
            offset += 1
            let fracStart = offset
            while offset < input.count, isDigit(input[offset]) { offset += 1 }
            guard offset > fracStart else { throw error("bad fraction") }
        }
        if offset < input.count, input[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < input.count, input[offset] == UInt8(ascii: "+") || input[offset] == UInt8(ascii: "-") { offset += 1 }
            let expStart = offset
            while offset < input.count, isDigit(input[offset]) { offset += 1 }
            guard offset > expStart else { throw error("bad exponent") }
        }
        let text = String(decoding: input[start..<offset], as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number out of range") }
        return d
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private mutating func readString() throws -> String {
        offset += 1
        var out: [UInt8] = []
        var runStart = offset
        while offset < input.count {
            let c = input[offset]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: input[runStart..<offset])
                offset += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                return s
            }
            if c < 0x20 { throw error("control character in string") }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: input[runStart..<offset])
                offset += 1
                try readEscape(into: &out)
                runStart = offset
                continue
            }
            offset += 1
        }
        throw error("unterminated string")
    }

    private mutating func readEscape(into out: inout [UInt8]) throws {
        guard offset < input.count else { throw error("unterminated escape") }
        let c = input[offset]
        offset += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 1 < input.count, input[offset] == UInt8(ascii: "\\"), input[offset + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired surrogate")
                }
                offset += 2
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("unpaired surrogate")
            }
            guard let u = Unicode.Scalar(scalar) else { throw error("invalid escape") }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        default:
            throw error("invalid escape")
        }
    }

    private mutating func readHex4() throws -> UInt32 {
        guard offset + 4 <= input.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = input[offset]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("bad hex digit")
            }
            v = v << 4 | d
            offset += 1
        }
        return v
    }
}
