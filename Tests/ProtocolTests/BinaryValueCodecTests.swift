import NIOCore
import XCTest

@testable import Protocol

/// The compact binary value form used in frames and persistence.
final class BinaryValueCodecTests: XCTestCase {
    func testRandomValuesRoundTrip() throws {
        for (seed, pooled) in [(7 as UInt64, false), (8, true)] {
            var gen = RandomValues(seed: seed, pooled: pooled, maxDepth: 5)
            for i in 0..<3000 {
                let value = gen.value()
                XCTAssertEqual(try Value(binaryEncoded: value.binaryEncoded), value, "case \(i): \(value)")
            }
        }
    }

    func testRoundTripPreservesFloatBitPatterns() throws {
        for d in RandomValues.specialFloats {
            let back = try Value(binaryEncoded: Value.float64(d).binaryEncoded)
            guard case .float64(let e) = back else { return XCTFail("got \(back)") }
            XCTAssertEqual(e.bitPattern, d.bitPattern)
        }
    }

    func testSeveralValuesReadBackToBackFromOneBuffer() throws {
        var gen = RandomValues(seed: 17)
        let values = (0..<200).map { _ in gen.value() }
        var buffer = ByteBuffer()
        for v in values { buffer.writeValue(v) }
        for v in values { XCTAssertEqual(try buffer.readValue(), v) }
        XCTAssertEqual(buffer.readableBytes, 0)
        XCTAssertThrowsProtocolError(try buffer.readValue())
    }

    func testScalarLayout() {
        XCTAssertEqual(Value.null.binaryEncoded, [0])
        XCTAssertEqual(Value.int64(1).binaryEncoded, [1, 1, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Value.int64(-2).binaryEncoded, [1, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(Value.float64(1.0).binaryEncoded, [2, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        XCTAssertEqual(Value.boolean(false).binaryEncoded, [3])
        XCTAssertEqual(Value.boolean(true).binaryEncoded, [4])
        XCTAssertEqual(Value.string("hé").binaryEncoded, [5, 3, 0x68, 0xC3, 0xA9])
        XCTAssertEqual(Value.bytes([0, 0xFF]).binaryEncoded, [6, 2, 0, 0xFF])
        XCTAssertEqual(Value.array([.null, .boolean(true)]).binaryEncoded, [7, 2, 0, 4])
        XCTAssertEqual(Value.object(["a": .null]).binaryEncoded, [8, 1, 1, 0x61, 0])
    }

    func testEveryTruncationThrows() {
        var gen = RandomValues(seed: 23)
        for _ in 0..<300 {
            let bytes = gen.value().binaryEncoded
            for n in 0..<bytes.count {
                XCTAssertThrowsError(try Value(binaryEncoded: Array(bytes[0..<n])), "cut to \(n) of \(bytes)")
            }
        }
    }

    func testTrailingBytesThrow() {
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: [0, 0]))
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: Value.string("x").binaryEncoded + [7]))
    }

    func testEmptyInputAndUnknownTagsThrow() {
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: []))
        for tag: UInt8 in [9, 10, 0x7F, 0xFF] {
            XCTAssertThrowsProtocolError(try Value(binaryEncoded: [tag]), "tag \(tag)")
        }
    }

    func testLyingCountsThrowInsteadOfAllocating() {
        for tag: UInt8 in [5, 6, 7, 8] {
            for count: UInt64 in [.max, 1 << 62, 1 << 32, 10] {
                var buffer = ByteBuffer()
                buffer.writeInteger(tag)
                buffer.writeVarUInt(count)
                buffer.writeBytes([0, 0, 0, 0])
                XCTAssertThrowsProtocolError(try buffer.readValue(), "tag \(tag) count \(count)")
            }
        }
    }

    func testInvalidUTF8StringsAndKeysThrow() {
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: [5, 2, 0xC3, 0x28]))
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: [8, 1, 1, 0xFF, 0]))
        XCTAssertThrowsProtocolError(try Value(binaryEncoded: [5, 3, 0xED, 0xA0, 0x80]))  // encoded surrogate
    }

    func testDepthLimitIsEnforcedWhenReading() throws {
        for objects in [false, true] {
            let ok = nested(ValueLimits.maxValueDepth, objects: objects, around: .int64(1))
            XCTAssertEqual(try Value(binaryEncoded: ok.binaryEncoded), ok)
            let tooDeep = nested(ValueLimits.maxValueDepth + 1, objects: objects)
            XCTAssertThrowsError(try Value(binaryEncoded: tooDeep.binaryEncoded))
        }
        var buffer = ByteBuffer(bytes: nested(3).binaryEncoded)
        XCTAssertThrowsError(try buffer.readValue(maxDepth: 2))
        // A very deep input must fail cleanly, not overflow the stack.
        let deep = [UInt8]((0..<100_000).flatMap { _ in [7, 1] as [UInt8] }) + [0]
        XCTAssertThrowsError(try Value(binaryEncoded: deep))
    }
}
