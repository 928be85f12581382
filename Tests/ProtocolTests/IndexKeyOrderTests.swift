import XCTest

@testable import Protocol

/// Index keys (docs/values-and-ids.md, Index keys): byte order of the encoding must be Convex's total order of the values.
final class IndexKeyOrderTests: XCTestCase {
    private func key(_ values: Value?...) -> [UInt8] { IndexKey(values).bytes }

    /// Asserts that `values` are listed in strictly increasing order, both by `Value.compare` and by key bytes,
    /// checking every pair (not just neighbours).
    private func assertStrictlyIncreasing(_ values: [Value], file: StaticString = #filePath, line: UInt = #line) {
        for i in values.indices {
            for j in values.indices {
                let expected = sign(i - j)
                XCTAssertEqual(sign(Value.compare(values[i], values[j])), expected,
                               "compare(\(values[i]), \(values[j]))", file: file, line: line)
                XCTAssertEqual(sign(byteOrder(key(values[i]), key(values[j]))), expected,
                               "key order of \(values[i]) vs \(values[j])", file: file, line: line)
            }
        }
    }

    // MARK: Property tests

    func testValueCompareAgreesWithTheReferenceOrder() {
        for (seed, pooled) in [(1 as UInt64, false), (2, true)] {
            var gen = RandomValues(seed: seed, pooled: pooled)
            for _ in 0..<3000 {
                let a = gen.value(), b = gen.chance(10) ? gen.value() : gen.value()
                XCTAssertEqual(sign(Value.compare(a, b)), sign(referenceCompare(a, b)), "\(a) vs \(b)")
                XCTAssertEqual(sign(Value.compare(a, a)), 0, "\(a)")
            }
        }
    }

    func testKeyByteOrderMatchesValueOrderForRandomPairs() {
        for (seed, pooled) in [(10 as UInt64, false), (20, true), (30, true)] {
            var gen = RandomValues(seed: seed, pooled: pooled)
            for _ in 0..<3000 {
                let a = gen.value(), b = gen.value()
                let expected = sign(Value.compare(a, b))
                XCTAssertEqual(sign(byteOrder(key(a), key(b))), expected, "\(a) vs \(b)")
                XCTAssertEqual(IndexKey([a]) < IndexKey([b]), expected < 0, "\(a) vs \(b)")
                XCTAssertEqual(IndexKey([a]) == IndexKey([b]), expected == 0, "\(a) vs \(b)")
            }
        }
    }

    func testKeyByteOrderMatchesValueOrderForPairsOfScalarsOfEveryKind() {
        // Scalars only, so each of the 3000 pairs compares leaf encodings directly (the nested case above
        // mostly decides on type tags).
        var gen = RandomValues(seed: 4)
        for i in 0..<3000 {
            gen.pooled = i % 2 == 0
            let a = gen.scalar(), b = gen.scalar()
            XCTAssertEqual(sign(byteOrder(key(a), key(b))), sign(referenceCompare(a, b)), "\(a) vs \(b)")
        }
    }

    func testTupleKeysFollowLexicographicOrder() {
        var gen = RandomValues(seed: 77, pooled: true, maxDepth: 2)
        for _ in 0..<3000 {
            func component() -> Value? { gen.chance(8) ? Value?.none : gen.value() }
            let a1 = component(), a2 = component()
            // Often share the first component so the second one decides.
            let b1 = gen.chance(50) ? a1 : component(), b2 = component()
            let expected = referenceCompareTuples([a1, a2], [b1, b2])
            XCTAssertEqual(sign(byteOrder(IndexKey([a1, a2]).bytes, IndexKey([b1, b2]).bytes)), expected,
                           "(\(String(describing: a1)), \(String(describing: a2))) vs (\(String(describing: b1)), \(String(describing: b2)))")
        }
    }

    func testTuplesOfDifferentLengthsFollowLexicographicOrder() {
        var gen = RandomValues(seed: 78, pooled: true, maxDepth: 2)
        for _ in 0..<2000 {
            let a = (0..<gen.below(4)).map { _ in gen.value() as Value? }
            var b = gen.chance(50) ? Array(a.prefix(gen.below(a.count + 1))) : []
            for _ in 0..<gen.below(3) { b.append(gen.value()) }
            XCTAssertEqual(sign(byteOrder(IndexKey(a).bytes, IndexKey(b).bytes)), referenceCompareTuples(a, b), "\(a) vs \(b)")
        }
    }

    func testAKeySortsBeforeEveryExtensionOfIt() {
        var gen = RandomValues(seed: 5)
        for _ in 0..<1000 {
            let a = gen.value(), b = gen.value()
            XCTAssertLessThan(IndexKey([a]), IndexKey([a, b]))
            XCTAssertLessThan(IndexKey([a]), IndexKey([a, nil]))
        }
    }

    func testEqualValuesHaveEqualKeysRegardlessOfObjectInsertionOrder() {
        var fields1: [String: Value] = [:], fields2: [String: Value] = [:]
        let names = ["z", "a", "m", "_b", "", "A", "ab"]
        for (i, n) in names.enumerated() { fields1[n] = .int64(Int64(i)) }
        for (i, n) in names.enumerated().reversed() { fields2[n] = .int64(Int64(i)) }
        XCTAssertEqual(key(.object(fields1)), key(.object(fields2)))
    }

    // MARK: Integers

    func testIntegerEdgeCasesAreOrdered() {
        let ints: [Int64] = [
            .min, .min + 1, -(1 << 32) - 1, -(1 << 32), -(1 << 32) + 1, -65537, -65536, -65535, -257, -256, -255,
            -2, -1, 0, 1, 2, 255, 256, 257, 65535, 65536, (1 << 32) - 1, 1 << 32, .max - 1, .max,
        ]
        assertStrictlyIncreasing(ints.map { .int64($0) })
    }

    func testIntegerTagsFollowSignAndWidth() {
        let expectations: [(Int64, UInt8, Int)] = [
            (.min, 0x04, 8), (-(1 << 32) - 1, 0x04, 8), (-(1 << 32), 0x05, 4), (-65537, 0x05, 4), (-65536, 0x06, 2),
            (-257, 0x06, 2), (-256, 0x07, 1), (-1, 0x07, 1), (0, 0x08, 0), (1, 0x09, 1), (255, 0x09, 1), (256, 0x0A, 2),
            (65535, 0x0A, 2), (65536, 0x0B, 4), ((1 << 32) - 1, 0x0B, 4), (1 << 32, 0x0C, 8), (.max, 0x0C, 8),
        ]
        for (v, tag, width) in expectations {
            let bytes = key(.int64(v))
            XCTAssertEqual(bytes.first, tag, "tag of \(v)")
            XCTAssertEqual(bytes.count, 1 + width, "width of \(v)")
        }
    }

    func testPositiveIntegerPayloadsAreBigEndian() {
        XCTAssertEqual(key(.int64(0)), [0x08])
        XCTAssertEqual(key(.int64(1)), [0x09, 0x01])
        XCTAssertEqual(key(.int64(255)), [0x09, 0xFF])
        XCTAssertEqual(key(.int64(256)), [0x0A, 0x01, 0x00])
        XCTAssertEqual(key(.int64(0x0102_0304)), [0x0B, 0x01, 0x02, 0x03, 0x04])
        XCTAssertEqual(key(.int64(.max)), [0x0C, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testEveryIntegerSortsBeforeEveryFloat() {
        let ints: [Int64] = [.min, -1, 0, 1, .max]
        let floats: [Double] = [-.nan, -.infinity, -.greatestFiniteMagnitude, -1, -0.0, 0, 1, .infinity, .nan]
        for i in ints {
            for f in floats {
                XCTAssertLessThan(Value.compare(.int64(i), .float64(f)), 0, "\(i) vs \(f)")
                XCTAssertLessThan(IndexKey([.int64(i)]), IndexKey([.float64(f)]), "\(i) vs \(f)")
            }
        }
        // No interleaving even when the numbers are equal.
        XCTAssertLessThan(IndexKey([.int64(5)]), IndexKey([.float64(5)]))
        XCTAssertLessThan(IndexKey([.int64(.max)]), IndexKey([.float64(-.infinity)]))
    }

    // MARK: Floats

    func testFloatsFollowIEEETotalOrder() {
        assertStrictlyIncreasing([
            .float64(-.nan), .float64(-.infinity), .float64(-.greatestFiniteMagnitude), .float64(-1), .float64(-.leastNormalMagnitude),
            .float64(-.leastNonzeroMagnitude), .float64(-0.0), .float64(0.0), .float64(.leastNonzeroMagnitude),
            .float64(.leastNormalMagnitude), .float64(1), .float64(1.0000000000000002), .float64(.greatestFiniteMagnitude),
            .float64(.infinity), .float64(.nan),
        ])
    }

    func testNegativeZeroSortsBeforePositiveZeroAndIsDistinct() {
        XCTAssertLessThan(Value.compare(.float64(-0.0), .float64(0.0)), 0)
        XCTAssertLessThan(IndexKey([.float64(-0.0)]), IndexKey([.float64(0.0)]))
        XCTAssertNotEqual(Value.float64(-0.0), Value.float64(0.0))
    }

    func testNaNOrdering() {
        // Positive NaN above +Inf, negative NaN below -Inf; a NaN equals itself; payloads order by bits.
        XCTAssertGreaterThan(Value.compare(.float64(.nan), .float64(.infinity)), 0)
        XCTAssertLessThan(Value.compare(.float64(-.nan), .float64(-.infinity)), 0)
        XCTAssertEqual(Value.compare(.float64(.nan), .float64(.nan)), 0)
        XCTAssertEqual(key(.float64(.nan)), key(.float64(.nan)))
        XCTAssertEqual(Value.float64(.nan), Value.float64(.nan))
        let quiet = Double(bitPattern: 0x7FF8_0000_0000_0000), bigger = Double(bitPattern: 0x7FF8_0000_0000_0001)
        let signalling = Double(bitPattern: 0x7FF0_0000_0000_0001)
        assertStrictlyIncreasing([.float64(.infinity), .float64(signalling), .float64(quiet), .float64(bigger)])
    }

    func testFloatKeysAreTagPlusTransformedBigEndianBits() {
        XCTAssertEqual(key(.float64(1.0)), [0x0D, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0])  // sign bit flipped
        XCTAssertEqual(key(.float64(-1.0)), [0x0D, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])  // all bits inverted
        XCTAssertEqual(key(.float64(0.0)), [0x0D, 0x80, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(key(.float64(-0.0)), [0x0D, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    // MARK: Other types

    func testTypeOrderIsUndefinedNullIntFloatBoolStringBytesArrayObject() {
        let ordered: [Value?] = [
            nil, .null, .int64(.max), .float64(-.nan), .boolean(false), .boolean(true), .string(""), .bytes([]), .array([]),
            .object([:]),
        ]
        for i in ordered.indices {
            for j in ordered.indices {
                XCTAssertEqual(sign(byteOrder(IndexKey([ordered[i]]).bytes, IndexKey([ordered[j]]).bytes)), sign(i - j),
                               "\(String(describing: ordered[i])) vs \(String(describing: ordered[j]))")
            }
        }
        assertStrictlyIncreasing(ordered.compactMap { $0 })
    }

    func testScalarTagsMatchTheSpec() {
        XCTAssertEqual(IndexKey([nil]).bytes, [0x01])
        XCTAssertEqual(key(.null), [0x03])
        XCTAssertEqual(key(.boolean(false)), [0x0E])
        XCTAssertEqual(key(.boolean(true)), [0x0F])
        XCTAssertEqual(key(.string("")), [0x10, 0x00])
        XCTAssertEqual(key(.bytes([])), [0x11, 0x00])
        XCTAssertEqual(key(.array([])), [0x12, 0x00])
        XCTAssertEqual(key(.object([:])).first, 0x15)
        XCTAssertEqual(IndexKey([]).bytes, [])
    }

    func testStringNulBytesAreEscaped() {
        XCTAssertEqual(key(.string("a\u{0}b")), [0x10, 0x61, 0x00, 0xFF, 0x62, 0x00])
        XCTAssertEqual(key(.bytes([0, 0])), [0x11, 0x00, 0xFF, 0x00, 0xFF, 0x00])
    }

    func testStringsOrderByteWiseWithNulAndPrefixes() {
        assertStrictlyIncreasing([
            .string(""), .string("\u{0}"), .string("\u{0}\u{0}"), .string("\u{1}"), .string("A"), .string("a"),
            .string("a\u{0}"), .string("a\u{0}\u{0}"), .string("a\u{0}b"), .string("a\u{1}"), .string("ab"), .string("b"),
            .string("\u{7F}"), .string("é"), .string("€"), .string("\u{FFFF}"), .string("😀"),
        ])
    }

    func testStringOrderIsUTF8ByteOrderNotUTF16() {
        // U+FFFF sorts below U+10000 in UTF-8 byte order (EF BF BF < F0 90 80 80), unlike UTF-16 where
        // U+FFFF (FFFF) is above the surrogate D800.
        XCTAssertLessThan(Value.compare(.string("\u{FFFF}"), .string("\u{10000}")), 0)
        XCTAssertLessThan(IndexKey([.string("\u{FFFF}")]), IndexKey([.string("\u{10000}")]))
    }

    func testBytesOrderByteWiseWithZerosAndPrefixes() {
        assertStrictlyIncreasing([
            .bytes([]), .bytes([0]), .bytes([0, 0]), .bytes([0, 0xFF]), .bytes([0, 0xFF, 0]), .bytes([1]), .bytes([0xFE]),
            .bytes([0xFF]), .bytes([0xFF, 0]), .bytes([0xFF, 0xFF]),
        ])
    }

    func testShorterArraySortsFirst() {
        assertStrictlyIncreasing([
            .array([]), .array([.null]), .array([.null, .null]), .array([.int64(1)]), .array([.int64(1), .null]),
            .array([.int64(1), .int64(2)]), .array([.int64(2)]), .array([.string("a")]), .array([.string("a"), .string("")]),
            .array([.string("a"), .array([])]), .array([.string("a\u{0}")]), .array([.string("ab")]), .array([.array([])]),
            .array([.array([]), .null]), .array([.array([.null])]),
        ])
    }

    func testObjectsOrderByFieldNameThenValue() {
        assertStrictlyIncreasing([
            .object([:]), .object(["": .null]), .object(["a": .null]), .object(["a": .int64(1)]),
            .object(["a": .int64(1), "b": .null]), .object(["a": .int64(2)]), .object(["a": .string("x")]),
            .object(["a\u{0}": .null]), .object(["ab": .null]), .object(["b": .null]),
        ])
        // Field names decide before values: {"a": huge} < {"b": tiny}.
        XCTAssertLessThan(IndexKey([.object(["a": .object(["z": .string("zzz")])])]), IndexKey([.object(["b": .null])]))
    }

    func testObjectKeysWithNulNeverCollideWithTheNextField() {
        let a: Value = .object(["a": .string("x"), "b": .null])
        let b: Value = .object(["a\u{0}": .null])
        XCTAssertEqual(sign(byteOrder(key(a), key(b))), sign(referenceCompare(a, b)))
        XCTAssertNotEqual(key(.object(["a": .string("\u{0}")])), key(.object(["a\u{0}": .string("")])))
    }

    func testUndefinedSortsBeforeNullInTuples() {
        XCTAssertLessThan(IndexKey([nil]), IndexKey([.null]))
        XCTAssertLessThan(IndexKey([.int64(1), nil]), IndexKey([.int64(1), .null]))
        XCTAssertLessThan(IndexKey([.int64(1), nil, .object([:])]), IndexKey([.int64(1), .null]))
    }

    func testTupleComponentBoundariesRespectStringPrefixes() {
        // ("a", anything) must sort before ("a\0") and ("ab"), however large `anything` is.
        let bigSecond: [Value?] = [.object(["~": .bytes([0xFF, 0xFF])]), .array([.array([])]), .bytes([0xFF]), nil]
        for second in bigSecond {
            XCTAssertLessThan(IndexKey([.string("a"), second]), IndexKey([.string("a\u{0}")]))
            XCTAssertLessThan(IndexKey([.string("a"), second]), IndexKey([.string("a\u{0}"), nil]))
            XCTAssertLessThan(IndexKey([.string("a"), second]), IndexKey([.string("ab")]))
            XCTAssertLessThan(IndexKey([.bytes([0x61]), second]), IndexKey([.bytes([0x61, 0x00])]))
        }
    }

    func testBooleansAndNull() {
        assertStrictlyIncreasing([.null, .boolean(false), .boolean(true)])
    }
}
