import XCTest

@testable import Protocol

/// Key intervals: what a point read, a prefix (`eq`) and a range (`gt`/`gte`/`lt`/`lte`) cover.
final class KeyIntervalTests: XCTestCase {
    private func key(_ values: Value?...) -> [UInt8] { IndexKey(values).bytes }

    /// Compares the first `prefix.count` components of `tuple` with `prefix` (the tuple is at least as long).
    private func comparePrefix(_ tuple: [Value], _ prefix: [Value]) -> Int {
        referenceCompareTuples(Array(tuple.prefix(prefix.count)), prefix)
    }

    // MARK: prefix

    func testPrefixContainsTheKeyItselfAndItsExtensions() {
        let interval = KeyInterval.prefix([.string("a")])
        XCTAssertTrue(interval.contains(key(.string("a"))))
        for second: Value? in [nil, .null, .int64(.min), .int64(.max), .float64(.nan), .string(""), .string("\u{0}"),
                               .bytes([0xFF, 0xFF]), .array([.bytes([0xFF])]), .object(["~": .string("~")])] {
            XCTAssertTrue(interval.contains(key(.string("a"), second)), "(a, \(String(describing: second)))")
            XCTAssertTrue(interval.contains(key(.string("a"), second, .int64(1))))
        }
    }

    func testPrefixOfAStringExcludesLongerStringsStartingWithNul() {
        let interval = KeyInterval.prefix([.string("a")])
        for other: [Value?] in [
            [.string("a\u{0}")], [.string("a\u{0}"), .null], [.string("a\u{0}\u{0}")], [.string("a\u{0}b")], [.string("ab")],
            [.string("a\u{1}")], [.string("b")], [.string("")], [.string("`")], [.string("A")], [.null], [nil], [],
            [.bytes([0x61])], [.array([.string("a")])],
        ] {
            XCTAssertFalse(interval.contains(IndexKey(other).bytes), "\(other)")
        }
    }

    func testPrefixOfStringWithNulContainsOnlyThatString() {
        let interval = KeyInterval.prefix([.string("a\u{0}")])
        XCTAssertTrue(interval.contains(key(.string("a\u{0}"))))
        XCTAssertTrue(interval.contains(key(.string("a\u{0}"), .int64(3))))
        XCTAssertFalse(interval.contains(key(.string("a"))))
        XCTAssertFalse(interval.contains(key(.string("a"), .int64(3))))
        XCTAssertFalse(interval.contains(key(.string("a\u{0}\u{0}"))))
        XCTAssertFalse(interval.contains(key(.string("a\u{0}b"))))
    }

    func testPrefixOfBytesExcludesLongerByteStrings() {
        let interval = KeyInterval.prefix([.bytes([0x61])])
        XCTAssertTrue(interval.contains(key(.bytes([0x61]), .bytes([0xFF]))))
        XCTAssertFalse(interval.contains(key(.bytes([0x61, 0x00]))))
        XCTAssertFalse(interval.contains(key(.bytes([0x61, 0xFF]))))
        XCTAssertFalse(interval.contains(key(.bytes([0x62]))))
    }

    func testPrefixOfIntegersWithFFPayloadBytes() {
        let interval = KeyInterval.prefix([.int64(255)])
        XCTAssertTrue(interval.contains(key(.int64(255))))
        XCTAssertTrue(interval.contains(key(.int64(255), .object(["~": .bytes([0xFF])]))))
        XCTAssertFalse(interval.contains(key(.int64(256))))
        XCTAssertFalse(interval.contains(key(.int64(254), .object([:]))))
        XCTAssertFalse(interval.contains(key(.int64(-1))))
        XCTAssertFalse(interval.contains(key(.float64(255))))
    }

    func testPrefixOfSeveralComponents() {
        let interval = KeyInterval.prefix([.string("a"), .int64(1)])
        XCTAssertTrue(interval.contains(key(.string("a"), .int64(1))))
        XCTAssertTrue(interval.contains(key(.string("a"), .int64(1), .string("id"))))
        XCTAssertFalse(interval.contains(key(.string("a"))))
        XCTAssertFalse(interval.contains(key(.string("a"), .int64(2))))
        XCTAssertFalse(interval.contains(key(.string("a"), .int64(256))))
        XCTAssertFalse(interval.contains(key(.string("a"), .float64(1))))
    }

    func testEmptyPrefixContainsEverything() {
        let interval = KeyInterval.prefix([])
        XCTAssertTrue(interval.contains([]))
        var gen = RandomValues(seed: 9)
        for _ in 0..<300 { XCTAssertTrue(interval.contains(key(gen.value(), gen.value()))) }
    }

    func testPrefixContainsExactlyTheTuplesStartingWithItsValues() {
        var gen = RandomValues(seed: 31, pooled: true, maxDepth: 2)
        var hits = 0
        for _ in 0..<3000 {
            let prefix = (0..<(1 + gen.below(2))).map { _ in gen.value() }
            var tuple: [Value] = gen.chance(50) ? prefix : (0..<prefix.count).map { _ in gen.value() }
            if gen.chance(50) {
                // Replace one component half the time; pooled values often land on a neighbour of the original.
                let i = gen.below(tuple.count)
                tuple[i] = gen.value()
            }
            for _ in 0..<gen.below(3) { tuple.append(gen.value()) }
            let expected = comparePrefix(tuple, prefix) == 0
            if expected { hits += 1 }
            XCTAssertEqual(KeyInterval.prefix(prefix).contains(IndexKey(tuple.map { $0 }).bytes), expected, "\(prefix) / \(tuple)")
        }
        XCTAssertGreaterThan(hits, 500, "the generator should produce plenty of matching tuples")
    }

    // MARK: range

    func testInclusiveLowerAndExclusiveUpper() {
        let interval = KeyInterval.range(lower: IndexBound([.string("b")], inclusive: true), upper: IndexBound([.string("d")], inclusive: false))
        for inside: [Value?] in [[.string("b")], [.string("b"), .int64(1)], [.string("b\u{0}")], [.string("ba")], [.string("c")],
                                  [.string("c\u{0}"), nil], [.string("czzz")]] {
            XCTAssertTrue(interval.contains(IndexKey(inside).bytes), "\(inside)")
        }
        for outside: [Value?] in [[.string("a")], [.string("a\u{0}")], [.string("azzz"), .object([:])], [.string("d")],
                                   [.string("d"), nil], [.string("d"), .int64(1)], [.string("d\u{0}")], [.string("e")], [.int64(1)], [.bytes([])]] {
            XCTAssertFalse(interval.contains(IndexKey(outside).bytes), "\(outside)")
        }
    }

    func testExclusiveLowerSkipsEveryKeyWithThatPrefix() {
        let interval = KeyInterval.range(lower: IndexBound([.string("b")], inclusive: false), upper: nil)
        XCTAssertFalse(interval.contains(key(.string("b"))))
        XCTAssertFalse(interval.contains(key(.string("b"), .object(["~": .bytes([0xFF])]))))
        XCTAssertFalse(interval.contains(key(.string("a"))))
        XCTAssertTrue(interval.contains(key(.string("b\u{0}"))))
        XCTAssertTrue(interval.contains(key(.string("ba"))))
        XCTAssertTrue(interval.contains(key(.string("c"), nil)))
        XCTAssertTrue(interval.contains(key(.bytes([]))))
    }

    func testInclusiveUpperIncludesEveryKeyWithThatPrefix() {
        let interval = KeyInterval.range(lower: nil, upper: IndexBound([.string("d")], inclusive: true))
        XCTAssertTrue(interval.contains([]))
        XCTAssertTrue(interval.contains(key(nil)))
        XCTAssertTrue(interval.contains(key(.int64(5))))
        XCTAssertTrue(interval.contains(key(.string("d"))))
        XCTAssertTrue(interval.contains(key(.string("d"), .object(["~": .bytes([0xFF])]))))
        XCTAssertFalse(interval.contains(key(.string("d\u{0}"))))
        XCTAssertFalse(interval.contains(key(.string("da"))))
        XCTAssertFalse(interval.contains(key(.string("e"))))
    }

    func testExclusiveUpperExcludesEveryKeyWithThatPrefix() {
        let interval = KeyInterval.range(lower: nil, upper: IndexBound([.int64(10)], inclusive: false))
        XCTAssertTrue(interval.contains(key(.int64(9), .float64(.nan))))
        XCTAssertTrue(interval.contains(key(.int64(-1))))
        XCTAssertFalse(interval.contains(key(.int64(10))))
        XCTAssertFalse(interval.contains(key(.int64(10), nil)))
        XCTAssertFalse(interval.contains(key(.int64(11))))
        XCTAssertFalse(interval.contains(key(.float64(0))))
    }

    func testRangesOverAPrefixAndALaterComponent() {
        // eq("a", "x") then gt(second, 5) and lte(second, 9), as `q.eq(...).gt(...).lte(...)` produces.
        let interval = KeyInterval.range(lower: IndexBound([.string("x"), .int64(5)], inclusive: false),
                                         upper: IndexBound([.string("x"), .int64(9)], inclusive: true))
        XCTAssertFalse(interval.contains(key(.string("x"), .int64(5))))
        XCTAssertFalse(interval.contains(key(.string("x"), .int64(5), .string("id"))))
        XCTAssertTrue(interval.contains(key(.string("x"), .int64(6))))
        XCTAssertTrue(interval.contains(key(.string("x"), .int64(9), .string("id"))))
        XCTAssertFalse(interval.contains(key(.string("x"), .int64(10))))
        XCTAssertFalse(interval.contains(key(.string("x"), .float64(6))))
        XCTAssertFalse(interval.contains(key(.string("x\u{0}"), .int64(6))))
        XCTAssertFalse(interval.contains(key(.string("w"), .int64(6))))
    }

    func testRandomRangesMatchComponentWiseBoundSemantics() {
        var gen = RandomValues(seed: 55, pooled: true, maxDepth: 1)
        for _ in 0..<3000 {
            let lowerValues = (0..<(1 + gen.below(2))).map { _ in gen.value() }
            let upperValues = (0..<(1 + gen.below(2))).map { _ in gen.value() }
            let lower = gen.chance(80) ? IndexBound(lowerValues, inclusive: gen.chance(50)) : nil
            let upper = gen.chance(80) ? IndexBound(upperValues, inclusive: gen.chance(50)) : nil
            var tuple: [Value] = (0..<2).map { _ in gen.value() }
            if gen.chance(40), lower != nil { tuple = lowerValues + [gen.value()] }
            if gen.chance(30), upper != nil { tuple = upperValues + [gen.value()] }
            if tuple.count < 2 { tuple.append(gen.value()) }

            var expected = true
            if let lower {
                let c = comparePrefix(tuple, lowerValues)
                if lower.inclusive ? c < 0 : c <= 0 { expected = false }
            }
            if let upper {
                let c = comparePrefix(tuple, upperValues)
                if upper.inclusive ? c > 0 : c >= 0 { expected = false }
            }
            let interval = KeyInterval.range(lower: lower, upper: upper)
            XCTAssertEqual(interval.contains(IndexKey(tuple.map { $0 }).bytes), expected,
                           "lower \(String(describing: lower)) upper \(String(describing: upper)) key \(tuple)")
        }
    }

    func testUnboundedRangeIsEverything() {
        let interval = KeyInterval.range(lower: nil, upper: nil)
        XCTAssertEqual(interval, KeyInterval.all)
        XCTAssertFalse(interval.isEmpty)
        XCTAssertTrue(interval.contains([]))
        XCTAssertTrue(interval.contains([0xFF, 0xFF, 0xFF]))
        XCTAssertTrue(interval.contains(key(.object(["~": .object([:])]))))
    }

    func testEmptyRanges() {
        let a = IndexBound([.string("a")], inclusive: true), aEx = IndexBound([.string("a")], inclusive: false)
        let b = IndexBound([.string("b")], inclusive: true)
        XCTAssertTrue(KeyInterval.range(lower: b, upper: a).isEmpty)
        XCTAssertTrue(KeyInterval.range(lower: aEx, upper: a).isEmpty)
        XCTAssertTrue(KeyInterval.range(lower: a, upper: aEx).isEmpty)
        XCTAssertFalse(KeyInterval.range(lower: a, upper: a).isEmpty)
        XCTAssertFalse(KeyInterval.range(lower: a, upper: b).isEmpty)
        XCTAssertTrue(KeyInterval(start: [5], end: [5]).isEmpty)
        XCTAssertTrue(KeyInterval(start: [5], end: [4]).isEmpty)
        XCTAssertFalse(KeyInterval(start: [5], end: nil).isEmpty)
    }

    func testEqualBoundsInclusiveOnBothSidesIsThePrefix() {
        let values: [Value] = [.string("a"), .int64(3)]
        XCTAssertEqual(KeyInterval.range(lower: IndexBound(values, inclusive: true), upper: IndexBound(values, inclusive: true)),
                       KeyInterval.prefix(values))
    }

    // MARK: point

    func testPointContainsExactlyItsKey() {
        let k = IndexKey([.string("a"), .int64(1)])
        let interval = KeyInterval.point(k)
        XCTAssertFalse(interval.isEmpty)
        XCTAssertTrue(interval.contains(k.bytes))
        XCTAssertFalse(interval.contains(IndexKey([.string("a"), .int64(1), nil]).bytes))
        XCTAssertFalse(interval.contains(IndexKey([.string("a"), .int64(1), .null]).bytes))
        XCTAssertFalse(interval.contains(IndexKey([.string("a"), .int64(2)]).bytes))
        XCTAssertFalse(interval.contains(IndexKey([.string("a"), .int64(0)]).bytes))
        XCTAssertFalse(interval.contains(IndexKey([.string("a")]).bytes))
        XCTAssertFalse(interval.contains(k.bytes + [0]))
    }

    func testPointOfRandomKeysMatchesEquality() {
        var gen = RandomValues(seed: 66, pooled: true)
        for _ in 0..<3000 {
            let a = gen.value(), b = gen.chance(30) ? a : gen.value()
            let interval = KeyInterval.point(IndexKey([a]))
            XCTAssertEqual(interval.contains(IndexKey([b]).bytes), referenceCompare(a, b) == 0, "\(a) vs \(b)")
            XCTAssertFalse(interval.contains(IndexKey([a, b]).bytes))
        }
    }

    func testPointOfTheEmptyKey() {
        let interval = KeyInterval.point(IndexKey([]))
        XCTAssertTrue(interval.contains([]))
        XCTAssertFalse(interval.contains(key(nil)))
        XCTAssertFalse(interval.contains(key(.null)))
    }
}
