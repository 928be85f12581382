/// An order-preserving byte encoding of a tuple of values (docs/values-and-ids.md, Index keys): comparing two keys byte by byte
/// gives the same answer as comparing their values in Convex's total order, component by component.
///
/// Each encoded value is self-delimiting, and the byte that follows a complete value is either the end
/// of the key or the type tag of the next component (always below 0xFF). A string's escaped NUL is
/// `00 FF`, so `encoded(v) ++ [0xFF]` is greater than every key that starts with the component `v`.
public struct IndexKey: Hashable, Comparable, Sendable {
    public var bytes: [UInt8]

    /// Wraps bytes that are already an encoded key, unchecked.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The key of a tuple; `nil` components encode "missing" (undefined), which sorts before null.
    public init(_ values: [Value?]) {
        var bytes: [UInt8] = []
        for value in values {
            if let value { IndexKey.append(value, to: &bytes) } else { bytes.append(Tag.undefined) }
        }
        self.bytes = bytes
    }

    public static func < (lhs: IndexKey, rhs: IndexKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    enum Tag {
        static let undefined: UInt8 = 0x01
        static let null: UInt8 = 0x03
        static let negativeInt8Bytes: UInt8 = 0x04
        static let zero: UInt8 = 0x08
        static let float: UInt8 = 0x0D
        static let falseValue: UInt8 = 0x0E
        static let trueValue: UInt8 = 0x0F
        static let string: UInt8 = 0x10
        static let bytes: UInt8 = 0x11
        static let array: UInt8 = 0x12
        static let object: UInt8 = 0x15
        static let end: UInt8 = 0x00
    }

    static func append(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null)
        case .int64(let v): appendInt(v, to: &out)
        case .float64(let d):
            out.append(Tag.float)
            appendBigEndian(Value.totalOrderKey(d), width: 8, to: &out)
        case .boolean(let b): out.append(b ? Tag.trueValue : Tag.falseValue)
        case .string(let s):
            out.append(Tag.string)
            appendEscaped(s.utf8, to: &out)
        case .bytes(let b):
            out.append(Tag.bytes)
            appendEscaped(b, to: &out)
        case .array(let items):
            out.append(Tag.array)
            for item in items { append(item, to: &out) }
            out.append(Tag.end)
        case .object(let fields):
            out.append(Tag.object)
            for field in Value.sortedFields(fields) {
                out.append(Tag.string)
                appendEscaped(field.key.utf8, to: &out)
                append(field.value, to: &out)
            }
            out.append(Tag.end)
        }
    }

    /// Integers by sign and width, so that magnitude order follows from tag order:
    /// negative 8/4/2/1 bytes = 0x04…0x07, zero 0x08, positive 1/2/4/8 bytes = 0x09…0x0C.
    private static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v == 0 { out.append(Tag.zero); return }
        let widths = [1, 2, 4, 8]
        if v > 0 {
            let width = widths.first { $0 == 8 || UInt64(v) < (1 << (8 * UInt64($0))) }!
            out.append(Tag.zero + UInt8(widths.firstIndex(of: width)! + 1))
            appendBigEndian(UInt64(v), width: width, to: &out)
        } else {
            let width = widths.first { $0 == 8 || v >= -(Int64(1) << (8 * Int64($0))) }!
            out.append(Tag.zero - UInt8(widths.firstIndex(of: width)! + 1))
            // Offset into [0, 2^(8w)) so that more negative values get smaller payloads.
            let payload = width == 8 ? UInt64(bitPattern: v) ^ (1 << 63) : UInt64(bitPattern: v &+ (Int64(1) << (8 * Int64(width))))
            appendBigEndian(payload, width: width, to: &out)
        }
    }

    private static func appendBigEndian(_ v: UInt64, width: Int, to out: inout [UInt8]) {
        for i in stride(from: width - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    private static func appendEscaped<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        for b in bytes {
            out.append(b)
            if b == 0 { out.append(0xFF) }
        }
        out.append(Tag.end)
    }
}
