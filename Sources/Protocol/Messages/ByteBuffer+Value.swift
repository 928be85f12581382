import NIOCore

/// The compact binary form of a value, used in frames and in persistence: a type byte, then
/// fixed-width numbers (little-endian), length-prefixed strings and bytes, counted arrays and objects.
extension ByteBuffer {
    private enum ValueTag: UInt8 {
        case null = 0, int64, float64, falseValue, trueValue, string, bytes, array, object
    }

    public mutating func writeValue(_ value: Value) {
        switch value {
        case .null: writeInteger(ValueTag.null.rawValue)
        case .int64(let v):
            writeInteger(ValueTag.int64.rawValue)
            writeInteger(v, endianness: .little)
        case .float64(let d):
            writeInteger(ValueTag.float64.rawValue)
            writeInteger(d.bitPattern, endianness: .little)
        case .boolean(let b): writeInteger((b ? ValueTag.trueValue : ValueTag.falseValue).rawValue)
        case .string(let s):
            writeInteger(ValueTag.string.rawValue)
            writeLengthPrefixedString(s)
        case .bytes(let b):
            writeInteger(ValueTag.bytes.rawValue)
            writeLengthPrefixed(b)
        case .array(let items):
            writeInteger(ValueTag.array.rawValue)
            writeVarUInt(UInt64(items.count))
            for item in items { writeValue(item) }
        case .object(let fields):
            writeInteger(ValueTag.object.rawValue)
            writeVarUInt(UInt64(fields.count))
            for (key, value) in fields {
                writeLengthPrefixedString(key)
                writeValue(value)
            }
        }
    }

    /// A presence flag, then the value if there is one.
    public mutating func writeOptionalValue(_ value: Value?) {
        writeBool(value != nil)
        if let value { writeValue(value) }
    }

    public mutating func readOptionalValue() throws -> Value? {
        try readBool() ? try readValue() : nil
    }

    public mutating func readValue(maxDepth: Int = ValueLimits.maxValueDepth) throws -> Value {
        try readValue(remainingDepth: maxDepth, limit: maxDepth)
    }

    private mutating func readValue(remainingDepth: Int, limit: Int) throws -> Value {
        guard let raw = readInteger(as: UInt8.self) else { throw ProtocolError.truncated("value") }
        guard let tag = ValueTag(rawValue: raw) else { throw ProtocolError.malformed("value tag \(raw)") }
        switch tag {
        case .null: return .null
        case .int64:
            guard let v = readInteger(endianness: .little, as: Int64.self) else { throw ProtocolError.truncated("int64") }
            return .int64(v)
        case .float64:
            guard let v = readInteger(endianness: .little, as: UInt64.self) else { throw ProtocolError.truncated("float64") }
            return .float64(Double(bitPattern: v))
        case .falseValue: return .boolean(false)
        case .trueValue: return .boolean(true)
        case .string: return .string(try readLengthPrefixedString())
        case .bytes: return .bytes(try readLengthPrefixedBytes())
        case .array:
            guard remainingDepth > 0 else { throw ValueError.tooDeep(limit: limit) }
            let n = try readCount()
            var items: [Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try readValue(remainingDepth: remainingDepth - 1, limit: limit)) }
            return .array(items)
        case .object:
            guard remainingDepth > 0 else { throw ValueError.tooDeep(limit: limit) }
            let n = try readCount(minimumElementSize: 2)
            var fields: [String: Value] = [:]
            fields.reserveCapacity(n)
            for _ in 0..<n {
                let key = try readLengthPrefixedString()
                let value = try readValue(remainingDepth: remainingDepth - 1, limit: limit)
                guard fields.updateValue(value, forKey: key) == nil else { throw ProtocolError.malformed("duplicate field \(key)") }
            }
            return .object(fields)
        }
    }
}

extension Value {
    /// The binary form as a byte array (what persistence stores).
    public var binaryEncoded: [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeValue(self)
        return buffer.readBytes(length: buffer.readableBytes)!
    }

    /// Reads a value's binary form back; throws unless `bytes` hold exactly one value.
    public init(binaryEncoded bytes: [UInt8]) throws {
        var buffer = ByteBuffer(bytes: bytes)
        self = try buffer.readValue()
        guard buffer.readableBytes == 0 else { throw ProtocolError.malformed("trailing bytes after value") }
    }
}
