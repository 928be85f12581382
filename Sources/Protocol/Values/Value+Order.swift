extension Value: Comparable {
    /// Convex's total order (docs/values-and-ids.md, Total order): null < int64 < float64 < boolean < string < bytes < array < object.
    /// Ints and floats do not interleave; floats follow IEEE totalOrder.
    public static func < (lhs: Value, rhs: Value) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// Three-way comparison in Convex's total order: negative, zero or positive.
    public static func compare(_ lhs: Value, _ rhs: Value) -> Int {
        let lr = lhs.typeRank, rr = rhs.typeRank
        if lr != rr { return lr < rr ? -1 : 1 }
        switch (lhs, rhs) {
        case (.null, .null): return 0
        case let (.int64(a), .int64(b)): return a == b ? 0 : (a < b ? -1 : 1)
        case let (.float64(a), .float64(b)):
            let ka = Value.totalOrderKey(a), kb = Value.totalOrderKey(b)
            return ka == kb ? 0 : (ka < kb ? -1 : 1)
        case let (.boolean(a), .boolean(b)): return a == b ? 0 : (!a ? -1 : 1)
        case let (.string(a), .string(b)): return compareBytes(a.utf8, b.utf8)
        case let (.bytes(a), .bytes(b)): return compareBytes(a, b)
        case let (.array(a), .array(b)):
            for (x, y) in zip(a, b) {
                let c = compare(x, y)
                if c != 0 { return c }
            }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        case let (.object(a), .object(b)):
            let sa = sortedFields(a), sb = sortedFields(b)
            for (x, y) in zip(sa, sb) {
                let k = compareBytes(x.key.utf8, y.key.utf8)
                if k != 0 { return k }
                let c = compare(x.value, y.value)
                if c != 0 { return c }
            }
            return sa.count == sb.count ? 0 : (sa.count < sb.count ? -1 : 1)
        default:
            preconditionFailure("values of equal type rank have equal cases")
        }
    }

    var typeRank: Int {
        switch self {
        case .null: return 0
        case .int64: return 1
        case .float64: return 2
        case .boolean: return 3
        case .string: return 4
        case .bytes: return 5
        case .array: return 6
        case .object: return 7
        }
    }

    /// Maps a double onto a UInt64 whose unsigned order is IEEE totalOrder.
    static func totalOrderKey(_ d: Double) -> UInt64 {
        let bits = d.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }
}

func compareBytes<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
    var ia = a.makeIterator(), ib = b.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?): if x != y { return x < y ? -1 : 1 }
        }
    }
}
