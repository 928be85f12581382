import ConvergeTestSupport
import NIOCore
import XCTest

@testable import Protocol

/// Generates random values of every type, with the edge cases (NaN, ±0, ±Inf, extreme ints, empty and
/// NUL-bearing strings, non-ASCII, nested arrays and objects) drawn often.
///
/// In `pooled` mode scalars come mostly from small pools, so that random pairs often tie or share a
/// prefix, which is what ordering tests need to reach the interesting comparisons.
struct RandomValues {
    var rng: SplitMix64
    var pooled: Bool
    var maxDepth: Int

    init(seed: UInt64, pooled: Bool = false, maxDepth: Int = 4) {
        rng = SplitMix64(seed: seed)
        self.pooled = pooled
        self.maxDepth = maxDepth
    }

    static let specialInts: [Int64] = [
        .min, .min + 1, -(1 << 32) - 1, -(1 << 32), -(1 << 32) + 1, -65537, -65536, -65535, -257, -256, -255,
        -2, -1, 0, 1, 2, 127, 128, 255, 256, 65535, 65536, (1 << 32) - 1, 1 << 32, .max - 1, .max,
    ]
    static let pooledInts: [Int64] = [.min, -256, -1, 0, 1, 255, 256, .max]

    static let specialFloats: [Double] = [
        .nan, -.nan, .infinity, -.infinity, 0.0, -0.0, 1.0, -1.0, 0.1, -0.5, 7.0, 1e16, 1e-7, 1e300, -1e300,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, 123_456_789.0, 9_007_199_254_740_993.0,
        Double(bitPattern: 0x7FF0_0000_0000_0001),  // signalling NaN
        Double(bitPattern: 0xFFF8_0000_0000_0123),  // negative NaN with a payload
    ]
    static let pooledFloats: [Double] = [-.nan, -.infinity, -1.0, -0.0, 0.0, 0.5, 1.0, .infinity, .nan]

    static let stringPieces: [String] = [
        "a", "b", "z", "A", "0", " ", "\u{0}", "\u{1}", "\u{1F}", "\"", "\\", "/", "\u{7F}", "é", "€", "😀",
        "\u{10FFFF}", "\u{FFFF}", "\n", "\t", "~", "\u{FEFF}", "\u{2028}",
    ]
    static let pooledStrings: [String] = ["", "a", "a\u{0}", "a\u{0}\u{0}", "a\u{0}b", "ab", "b", "\u{0}", "é", "\u{7F}"]
    static let pooledBytes: [[UInt8]] = [[], [0], [0, 0], [0, 1], [0, 0xFF], [1], [0xFF], [0xFF, 0]]

    /// Valid field names only (printable ASCII, no leading `$`), so generated values are valid Convex values.
    static let fieldNames: [String] = ["", "a", "b", "ab", "a b", "_id", "_x", "A", "Z", "x1", "~", " ", "a$"]

    mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    mutating func int64() -> Int64 {
        if pooled { return chance(80) ? pick(Self.pooledInts) : Int64.random(in: -300...300, using: &rng) }
        if chance(35) { return pick(Self.specialInts) }
        // Shifting a random pattern right reaches every magnitude, so every width of the index encoding shows up.
        return Int64(bitPattern: rng.next()) >> Int64(below(64))
    }

    mutating func float64() -> Double {
        if pooled { return chance(85) ? pick(Self.pooledFloats) : Double(Int.random(in: -3...3, using: &rng)) / 2 }
        switch below(5) {
        case 0, 1: return pick(Self.specialFloats)
        case 2: return Double(bitPattern: rng.next())  // any pattern, NaN payloads and subnormals included
        case 3: return Double(Int64.random(in: -1_000_000...1_000_000, using: &rng))  // integral floats
        default: return Double.random(in: -1e6...1e6, using: &rng)
        }
    }

    mutating func string() -> String {
        if pooled { return pick(Self.pooledStrings) }
        if chance(10) { return "" }
        var s = ""
        for _ in 0..<below(8) { s += pick(Self.stringPieces) }
        return s
    }

    mutating func bytes() -> [UInt8] {
        if pooled { return pick(Self.pooledBytes) }
        return (0..<below(8)).map { _ in chance(30) ? pick([0, 0xFF, 0x7F, 0x80, 1]) : UInt8.random(in: 0...255, using: &rng) }
    }

    mutating func fieldName() -> String {
        if pooled || chance(60) { return pick(Self.fieldNames) }
        var name = [UInt8]()
        for _ in 0..<(1 + below(6)) { name.append(UInt8.random(in: 0x20...0x7E, using: &rng)) }
        if name.first == UInt8(ascii: "$") { name[0] = UInt8(ascii: "_") }
        return String(decoding: name, as: UTF8.self)
    }

    mutating func scalar() -> Value {
        switch below(6) {
        case 0: return .null
        case 1: return .int64(int64())
        case 2: return .float64(float64())
        case 3: return .boolean(chance(50))
        case 4: return .string(string())
        default: return .bytes(bytes())
        }
    }

    mutating func value(depth: Int = 0) -> Value {
        let kind = below(depth >= maxDepth ? 6 : 8)
        if kind < 6 { return scalar() }
        let count = below(pooled ? 3 : 5)
        if kind == 6 {
            var items: [Value] = []
            for _ in 0..<count { items.append(value(depth: depth + 1)) }
            return .array(items)
        }
        var fields: [String: Value] = [:]
        for _ in 0..<count { fields[fieldName()] = value(depth: depth + 1) }
        return .object(fields)
    }
}

/// `depth` levels of arrays (or objects under the key "k") around `innermost`.
func nested(_ depth: Int, objects: Bool = false, around innermost: Value = .null) -> Value {
    var v = innermost
    for _ in 0..<depth { v = objects ? .object(["k": v]) : .array([v]) }
    return v
}

func sign(_ x: Int) -> Int { x < 0 ? -1 : (x > 0 ? 1 : 0) }

/// Byte-wise comparison, written independently of the module's own helpers.
func byteOrder(_ a: [UInt8], _ b: [UInt8]) -> Int {
    for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
    return sign(a.count - b.count)
}

/// A reference implementation of the total order (docs/values-and-ids.md, Total order), kept deliberately naive and independent of
/// `Value.compare`: floats use the standard library's IEEE totalOrder.
func referenceCompare(_ a: Value, _ b: Value) -> Int {
    func rank(_ v: Value) -> Int {
        switch v {
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
    if rank(a) != rank(b) { return sign(rank(a) - rank(b)) }
    switch (a, b) {
    case (.null, .null): return 0
    case let (.int64(x), .int64(y)): return x < y ? -1 : (x > y ? 1 : 0)
    case let (.float64(x), .float64(y)):
        if x.bitPattern == y.bitPattern { return 0 }
        return x.isTotallyOrdered(belowOrEqualTo: y) ? -1 : 1
    case let (.boolean(x), .boolean(y)): return x == y ? 0 : (x ? 1 : -1)
    case let (.string(x), .string(y)): return byteOrder(Array(x.utf8), Array(y.utf8))
    case let (.bytes(x), .bytes(y)): return byteOrder(x, y)
    case let (.array(x), .array(y)):
        for (p, q) in zip(x, y) {
            let c = referenceCompare(p, q)
            if c != 0 { return c }
        }
        return sign(x.count - y.count)
    case let (.object(x), .object(y)):
        let xs = x.sorted { byteOrder(Array($0.key.utf8), Array($1.key.utf8)) < 0 }
        let ys = y.sorted { byteOrder(Array($0.key.utf8), Array($1.key.utf8)) < 0 }
        for (p, q) in zip(xs, ys) {
            let k = byteOrder(Array(p.key.utf8), Array(q.key.utf8))
            if k != 0 { return k }
            let c = referenceCompare(p.value, q.value)
            if c != 0 { return c }
        }
        return sign(xs.count - ys.count)
    default:
        fatalError("unreachable")
    }
}

/// Lexicographic comparison of tuples, where a nil component ("missing") sorts before everything.
func referenceCompareTuples(_ a: [Value?], _ b: [Value?]) -> Int {
    for (x, y) in zip(a, b) {
        let c: Int
        switch (x, y) {
        case (nil, nil): c = 0
        case (nil, _): c = -1
        case (_, nil): c = 1
        case let (x?, y?): c = referenceCompare(x, y)
        }
        if c != 0 { return c }
    }
    return sign(a.count - b.count)
}

extension ByteBuffer {
    /// The readable bytes, without consuming them.
    var bytesView: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

/// Asserts that `body` throws a `ProtocolError` (and not, say, a crash or a different error type).
func XCTAssertThrowsProtocolError<T>(
    _ body: @autoclosure () throws -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), message, file: file, line: line) { error in
        XCTAssertTrue(error is ProtocolError, "expected a ProtocolError, got \(error) \(message)", file: file, line: line)
    }
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsError<T, E: Error & Equatable>(
    _ body: @autoclosure () throws -> T, equalTo expected: E, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? E, expected, "got \(error)", file: file, line: line)
    }
}
