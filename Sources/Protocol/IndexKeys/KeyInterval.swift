/// A half-open interval `[start, end)` of index keys; `end == nil` is unbounded above.
///
/// Every read (a point get, a miss, a range scan) is recorded as intervals like this, on one index,
/// and a write conflicts with a read when one of its keys falls inside.
public struct KeyInterval: Hashable, Sendable {
    public var start: [UInt8]
    public var end: [UInt8]?

    public init(start: [UInt8], end: [UInt8]?) {
        self.start = start
        self.end = end
    }

    public static let all = KeyInterval(start: [], end: nil)

    /// Exactly one key: `[k, k ++ 00)`, since `k ++ 00` is the least key greater than `k`.
    public static func point(_ key: IndexKey) -> KeyInterval {
        KeyInterval(start: key.bytes, end: key.bytes + [0])
    }

    /// Every key whose leading components equal `values`.
    public static func prefix(_ values: [Value]) -> KeyInterval {
        let p = IndexKey(values.map { $0 }).bytes
        return KeyInterval(start: p, end: p + [0xFF])
    }

    /// Keys between two component-tuple bounds, as Convex index ranges (`eq`, `gt`, `gte`, `lt`, `lte`) produce.
    public static func range(lower: IndexBound?, upper: IndexBound?) -> KeyInterval {
        let start: [UInt8]
        if let lower {
            let p = IndexKey(lower.values).bytes
            start = lower.inclusive ? p : p + [0xFF]
        } else {
            start = []
        }
        var end: [UInt8]? = nil
        if let upper {
            let p = IndexKey(upper.values).bytes
            end = upper.inclusive ? p + [0xFF] : p
        }
        return KeyInterval(start: start, end: end)
    }

    public func contains(_ key: [UInt8]) -> Bool {
        guard !key.lexicographicallyPrecedes(start) else { return false }
        guard let end else { return true }
        return key.lexicographicallyPrecedes(end)
    }

    /// True when `end` is at or before `start`, so no key fits; never for an unbounded interval.
    public var isEmpty: Bool {
        guard let end else { return false }
        return !start.lexicographicallyPrecedes(end)
    }
}

/// One side of an index range: the leading component values and whether keys equal to them are included.
/// A nil component is "missing" (undefined), which sorts before null.
public struct IndexBound: Hashable, Sendable {
    public var values: [Value?]
    public var inclusive: Bool

    public init(_ values: [Value?], inclusive: Bool) {
        self.values = values
        self.inclusive = inclusive
    }
}
