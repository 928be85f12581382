import NIOCore

/// Primitive encodings for message bodies: LEB128 varints, length-prefixed bytes and strings.
extension ByteBuffer {
    public mutating func writeVarUInt(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    public mutating func readVarUInt() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw ProtocolError.truncated("varint") }
            if shift == 63 && byte > 1 { throw ProtocolError.malformed("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ProtocolError.malformed("varint longer than 10 bytes") }
        }
    }

    /// Reads a count and checks it against what is left in the buffer, so a lying length cannot make us allocate.
    public mutating func readCount(minimumElementSize: Int = 1) throws -> Int {
        let n = try readVarUInt()
        guard n <= UInt64(readableBytes / max(1, minimumElementSize)) else {
            throw ProtocolError.truncated("collection of \(n) elements")
        }
        return Int(n)
    }

    public mutating func writeLengthPrefixed(_ bytes: some Collection<UInt8>) {
        writeVarUInt(UInt64(bytes.count))
        writeBytes(bytes)
    }

    public mutating func readLengthPrefixedBytes() throws -> [UInt8] {
        let n = try readCount()
        guard let bytes = readBytes(length: n) else { throw ProtocolError.truncated("bytes") }
        return bytes
    }

    public mutating func writeLengthPrefixedString(_ s: String) {
        writeLengthPrefixed(s.utf8)
    }

    public mutating func readLengthPrefixedString() throws -> String {
        let bytes = try readLengthPrefixedBytes()
        guard let s = String(validating: bytes, as: UTF8.self) else { throw ProtocolError.malformed("invalid UTF-8") }
        return s
    }

    public mutating func writeOptionalString(_ s: String?) {
        writeBool(s != nil)
        if let s { writeLengthPrefixedString(s) }
    }

    public mutating func readOptionalString() throws -> String? {
        try readBool() ? try readLengthPrefixedString() : nil
    }

    public mutating func writeBool(_ b: Bool) { writeInteger(UInt8(b ? 1 : 0)) }

    public mutating func readBool() throws -> Bool {
        switch readInteger(as: UInt8.self) {
        case 0: return false
        case 1: return true
        case nil: throw ProtocolError.truncated("bool")
        case let b?: throw ProtocolError.malformed("bool byte \(b)")
        }
    }

    public mutating func readUInt64() throws -> UInt64 {
        guard let v = readInteger(as: UInt64.self) else { throw ProtocolError.truncated("u64") }
        return v
    }

    public mutating func readUInt32() throws -> UInt32 {
        guard let v = readInteger(as: UInt32.self) else { throw ProtocolError.truncated("u32") }
        return v
    }

    public mutating func readUInt8() throws -> UInt8 {
        guard let v = readInteger(as: UInt8.self) else { throw ProtocolError.truncated("u8") }
        return v
    }
}
