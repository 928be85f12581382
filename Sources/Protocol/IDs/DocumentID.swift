/// A document ID in Convex's format (docs/values-and-ids.md, Document IDs): `VInt(table) ‖ internalID(16) ‖ Fletcher-16 footer`, base32.
public struct DocumentID: Hashable, Sendable, CustomStringConvertible {
    /// The table number; user tables start at `TableNumber.firstUser`.
    public let tableNumber: UInt32
    /// 16 bytes: 14 random bytes then the creation day (days since the epoch) as big-endian UInt16.
    public let internalID: InternalID

    public init(tableNumber: UInt32, internalID: InternalID) {
        self.tableNumber = tableNumber
        self.internalID = internalID
    }

    /// A fresh ID: 14 random bytes and today's day number, as the real server makes them.
    public static func generate<G: RandomNumberGenerator>(
        tableNumber: UInt32, nowMillis: Double, using generator: inout G
    ) -> DocumentID {
        var bytes = generator.bytes(14) + [0, 0]
        let day = UInt16(clamping: Int(nowMillis / 86_400_000))
        bytes[14] = UInt8(day >> 8)
        bytes[15] = UInt8(day & 0xFF)
        return DocumentID(tableNumber: tableNumber, internalID: InternalID(bytes: bytes)!)
    }

    /// A fresh ID from the system's random generator; `nowMillis` is milliseconds since the Unix epoch.
    public static func generate(tableNumber: UInt32, nowMillis: Double) -> DocumentID {
        var rng = SystemRandomNumberGenerator()
        return generate(tableNumber: tableNumber, nowMillis: nowMillis, using: &rng)
    }

    /// The ID's string form.
    public var description: String {
        var bytes = VarInt.encode(tableNumber)
        bytes.append(contentsOf: internalID.bytes)
        let check = DocumentID.fletcher16(bytes)
        bytes.append(UInt8(check & 0xFF))
        bytes.append(UInt8(check >> 8))
        return Base32.encode(bytes)
    }

    /// Parses an ID string; nil unless it is canonical, checksummed and complete.
    public init?(_ text: String) {
        guard (31...37).contains(text.utf8.count), let bytes = Base32.decode(text) else { return nil }
        guard let (table, used) = VarInt.decode(bytes), table > 0 else { return nil }
        guard bytes.count == used + 16 + 2 else { return nil }
        let body = Array(bytes[0..<(used + 16)])
        let footer = UInt16(bytes[used + 16]) | UInt16(bytes[used + 17]) << 8
        guard DocumentID.fletcher16(body) == footer else { return nil }
        self.init(tableNumber: table, internalID: InternalID(bytes: Array(bytes[used..<(used + 16)]))!)
        guard description == text else { return nil }
    }

    static func fletcher16(_ bytes: [UInt8]) -> UInt16 {
        var c0: UInt8 = 0, c1: UInt8 = 0
        for b in bytes {
            c0 &+= b
            c1 &+= c0
        }
        return UInt16(c1) << 8 | UInt16(c0)
    }
}

/// The 16-byte identity of a document within its table.
public struct InternalID: Hashable, Sendable, Comparable {
    public let bytes: [UInt8]

    /// Nil unless `bytes` is exactly 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public static func < (lhs: InternalID, rhs: InternalID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Unsigned LEB128 for table numbers (1–5 bytes).
enum VarInt {
    static func encode(_ value: UInt32) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }

    static func decode(_ bytes: [UInt8]) -> (UInt32, Int)? {
        var result: UInt64 = 0
        for i in 0..<min(5, bytes.count) {
            result |= UInt64(bytes[i] & 0x7F) << (7 * UInt64(i))
            if bytes[i] & 0x80 == 0 {
                guard result <= UInt64(UInt32.max) else { return nil }
                return (UInt32(result), i + 1)
            }
        }
        return nil
    }
}

/// Table numbers of the built-in tables and where user tables start (docs/values-and-ids.md, System tables).
public enum TableNumber {
    /// `_tables`: one document per table.
    public static let tables: UInt32 = 513
    /// `_index`: one document per index.
    public static let indexes: UInt32 = 514
    /// The number of the first user table; later ones count up from it.
    public static let firstUser: UInt32 = 10001
}
