import ConvergeTestSupport
import XCTest

@testable import Protocol

/// `convex_encoded_json` (docs/values-and-ids.md): the writer's exact output and the reader's acceptance rules.
final class ValueJSONTests: XCTestCase {
    private func json(_ value: Value) -> String { ConvexJSONWriter.encodeString(value) }
    private func decode(_ text: String) throws -> Value { try ConvexJSONReader.decode(text) }

    private func assertRejected(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(text), "accepted \(text.debugDescription)", file: file, line: line) { error in
            XCTAssertTrue(error is ValueError, "unexpected error type \(error)", file: file, line: line)
        }
    }

    private func base64LE(_ bits: UInt64) -> String {
        withUnsafeBytes(of: bits.littleEndian) { Base64.encode($0) }
    }

    // MARK: Int64

    func testInt64IsWrittenAsBase64LittleEndianInteger() {
        XCTAssertEqual(json(.int64(5)), #"{"$integer":"BQAAAAAAAAA="}"#)
        XCTAssertEqual(json(.int64(-2)), #"{"$integer":"/v////////8="}"#)
        XCTAssertEqual(json(.int64(0)), #"{"$integer":"AAAAAAAAAAA="}"#)
        XCTAssertEqual(json(.int64(.max)), #"{"$integer":"/////////38="}"#)
        XCTAssertEqual(json(.int64(.min)), #"{"$integer":"AAAAAAAAAIA="}"#)
    }

    func testIntegerWrapperDecodesToInt64() throws {
        XCTAssertEqual(try decode(#"{"$integer":"BQAAAAAAAAA="}"#), .int64(5))
        XCTAssertEqual(try decode(#"{"$integer":"/v////////8="}"#), .int64(-2))
        XCTAssertEqual(try decode(#"{ "$integer" : "AAAAAAAAAIA=" }"#), .int64(.min))
    }

    func testIntegerWrapperRequiresExactlyEightBytes() {
        assertRejected(#"{"$integer":"BQAAAA=="}"#)  // 4 bytes
        assertRejected(#"{"$integer":"BQAAAAAAAAAA"}"#)  // 9 bytes
        assertRejected(#"{"$integer":""}"#)
    }

    func testIntegerWrapperRequiresPaddedBase64String() {
        assertRejected(#"{"$integer":"BQAAAAAAAAA"}"#)  // missing padding
        assertRejected(#"{"$integer":"BQAAAAAA*AA="}"#)
        assertRejected(#"{"$integer":5}"#)
        assertRejected(#"{"$integer":null}"#)
    }

    // MARK: Float64

    func testAnyJSONNumberDecodesToFloat64() throws {
        XCTAssertEqual(try decode("7"), .float64(7))
        XCTAssertEqual(try decode("-7"), .float64(-7))
        XCTAssertEqual(try decode("0"), .float64(0))
        XCTAssertEqual(try decode("1.5e3"), .float64(1500))
        XCTAssertEqual(try decode("2E-2"), .float64(0.02))
        XCTAssertEqual(try decode("1e+2"), .float64(100))
        XCTAssertEqual(try decode("[7]"), .array([.float64(7)]))
        if case .int64 = try decode("7") { XCTFail("a plain JSON number must never become an int64") }
    }

    func testMalformedNumbersAreRejected() {
        for text in ["01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "NaN", "Infinity", "-Infinity", "0x10", "1.2.3"] {
            assertRejected(text)
        }
    }

    func testFloatWithoutFractionIsWrittenWithDecimalPoint() {
        XCTAssertEqual(json(.float64(1.0)), "1.0")
        XCTAssertEqual(json(.float64(7.0)), "7.0")
        XCTAssertEqual(json(.float64(-3.0)), "-3.0")
        XCTAssertEqual(json(.float64(0.0)), "0.0")
        XCTAssertEqual(json(.float64(1.5)), "1.5")
        XCTAssertEqual(json(.float64(0.1)), "0.1")
    }

    func testEveryFiniteFloatIsWrittenWithDecimalPointOrExponentAndReadsBackExactly() throws {
        var gen = RandomValues(seed: 11)
        var samples = RandomValues.specialFloats + [1e15, 1e16, 1e17, 1e21, 1e22, 1e-5, Double.leastNonzeroMagnitude, 2.5e-308, 4_503_599_627_370_496.0]
        for _ in 0..<3000 { samples.append(gen.float64()) }
        for d in samples where d.isFinite && !(d == 0 && d.sign == .minus) {
            let text = json(.float64(d))
            XCTAssertTrue(text.contains(".") || text.contains("e") || text.contains("E"), "\(d) written as \(text)")
            XCTAssertFalse(text.contains("$"), "\(d) must be a plain JSON number, got \(text)")
            XCTAssertEqual(try decode(text), .float64(d), "\(text)")
        }
    }

    func testNaNIsWrittenAsFloatWrapper() throws {
        XCTAssertEqual(json(.float64(.nan)), #"{"$float":"AAAAAAAA+H8="}"#)
        XCTAssertEqual(try decode(#"{"$float":"AAAAAAAA+H8="}"#), .float64(.nan))
    }

    func testInfinitiesAreWrittenAsFloatWrappers() throws {
        XCTAssertEqual(json(.float64(-.infinity)), #"{"$float":"AAAAAAAA8P8="}"#)
        XCTAssertEqual(json(.float64(.infinity)), #"{"$float":"AAAAAAAA8H8="}"#)
        XCTAssertEqual(try decode(#"{"$float":"AAAAAAAA8P8="}"#), .float64(-.infinity))
        XCTAssertEqual(try decode(#"{"$float":"AAAAAAAA8H8="}"#), .float64(.infinity))
    }

    func testNegativeZeroIsWrappedAndStaysNegative() throws {
        XCTAssertEqual(json(.float64(-0.0)), #"{"$float":"AAAAAAAAAIA="}"#)
        let back = try decode(#"{"$float":"AAAAAAAAAIA="}"#)
        guard case .float64(let d) = back else { return XCTFail("got \(back)") }
        XCTAssertEqual(d.bitPattern, (-0.0).bitPattern)
    }

    func testNaNPayloadAndSignSurviveTheFloatWrapper() throws {
        for bits: UInt64 in [0x7FF0_0000_0000_0001, 0xFFF8_0000_0000_0000, 0xFFF8_0000_0000_0123] {
            let d = Double(bitPattern: bits)
            let text = json(.float64(d))
            XCTAssertEqual(text, #"{"$float":""# + base64LE(bits) + #""}"#)
            XCTAssertEqual(try decode(text), .float64(d))
        }
    }

    func testFloatWrapperHoldingAnOrdinaryNumberIsRejected() {
        for d in [1.5, 0.0, 7.0, -1.0, Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude] {
            let text = #"{"$float":""# + base64LE(d.bitPattern) + #""}"#
            XCTAssertThrowsError(try decode(text), "accepted wrapped \(d)") { error in
                guard case .invalidWrapper = error as? ValueError else { return XCTFail("got \(error)") }
            }
        }
    }

    func testFloatWrapperRequiresExactlyEightBytes() {
        assertRejected(#"{"$float":"AAAAAAD4fw=="}"#)  // 7 bytes
        assertRejected(#"{"$float":"AAAAAAAA+H8A"}"#)  // 9 bytes
        assertRejected(#"{"$float":1.0}"#)
    }

    // MARK: Other scalars

    func testNullAndBooleans() throws {
        XCTAssertEqual(json(.null), "null")
        XCTAssertEqual(json(.boolean(true)), "true")
        XCTAssertEqual(json(.boolean(false)), "false")
        XCTAssertEqual(try decode("null"), .null)
        XCTAssertEqual(try decode("true"), .boolean(true))
        XCTAssertEqual(try decode("false"), .boolean(false))
        for text in ["nul", "tru", "fals", "True", "NULL", "nullx", "t"] { assertRejected(text) }
    }

    func testBytesAreWrittenAsPaddedStandardBase64() throws {
        XCTAssertEqual(json(.bytes([1, 2])), #"{"$bytes":"AQI="}"#)
        XCTAssertEqual(json(.bytes([])), #"{"$bytes":""}"#)
        XCTAssertEqual(json(.bytes([0xFB, 0xFF])), #"{"$bytes":"+/8="}"#)
        XCTAssertEqual(json(.bytes([1])), #"{"$bytes":"AQ=="}"#)
        XCTAssertEqual(json(.bytes([1, 2, 3])), #"{"$bytes":"AQID"}"#)
        XCTAssertEqual(try decode(#"{"$bytes":"AQI="}"#), .bytes([1, 2]))
        XCTAssertEqual(try decode(#"{"$bytes":""}"#), .bytes([]))
        XCTAssertEqual(try decode(#"{"$bytes":"+/8="}"#), .bytes([0xFB, 0xFF]))
    }

    func testBytesWrapperRejectsUnpaddedOrURLSafeBase64() {
        assertRejected(#"{"$bytes":"AQI"}"#)
        assertRejected(#"{"$bytes":"-_8="}"#)
        assertRejected(#"{"$bytes":"A=QI"}"#)
        assertRejected(#"{"$bytes":"AQ=I"}"#)
        assertRejected(#"{"$bytes":"===="}"#)
        assertRejected(#"{"$bytes":[1,2]}"#)
    }

    // MARK: Objects and arrays

    func testObjectKeysAreWrittenSortedByteWiseWithoutWhitespace() {
        let value: Value = .object([
            "b": .float64(1), "a": .float64(2), "_c": .null, "A": .boolean(true), "": .string("e"), "aa": .array([]),
        ])
        XCTAssertEqual(json(value), #"{"":"e","A":true,"_c":null,"a":2.0,"aa":[],"b":1.0}"#)
    }

    func testNestedValuesAreWrittenCanonically() {
        let value: Value = .array([.object(["y": .int64(1), "x": .array([.null, .bytes([1, 2])])]), .string("s"), .array([])])
        XCTAssertEqual(json(value), #"[{"x":[null,{"$bytes":"AQI="}],"y":{"$integer":"AQAAAAAAAAA="}},"s",[]]"#)
        XCTAssertEqual(json(.object([:])), "{}")
        XCTAssertEqual(json(.array([])), "[]")
    }

    func testWhitespaceBetweenTokensIsAccepted() throws {
        let value = try decode(" \t\r\n{ \"a\" : [ 1 , { } , [ ] ] , \"b\" : null }\n ")
        XCTAssertEqual(value, .object(["a": .array([.float64(1), .object([:]), .array([])]), "b": .null]))
    }

    func testDuplicateKeysAreRejected() {
        assertRejected(#"{"a":1,"a":2}"#)
        assertRejected(#"{"a":1,"b":2,"a":1}"#)
        assertRejected(#"{"x":{"k":1,"k":1}}"#)
        assertRejected(#"{"a":1,"\u0061":2}"#)
    }

    func testUnknownDollarKeysAreRejected() {
        assertRejected(#"{"$set":[]}"#)
        assertRejected(#"{"$map":[]}"#)
        assertRejected(#"{"$foo":"AAAAAAAAAAA="}"#)
        assertRejected(#"{"$":"AAAA"}"#)
        assertRejected(#"{"$integer":"BQAAAAAAAAA=","a":1}"#)  // a wrapper key among others
        assertRejected(#"{"a":1,"$bytes":"AQI="}"#)
    }

    func testInvalidFieldNamesAreRejectedAtAnyDepth() {
        assertRejected(#"{"$a":1,"b":2}"#)
        assertRejected(#"{"x":{"$y":1,"z":2}}"#)
        assertRejected(#"[{"ok":[{"$no":null,"n":1}]}]"#)
        assertRejected(#"{"a\u0001":1}"#)  // control character
        assertRejected(#"{"a\n":1}"#)
        assertRejected(#"{"é":1}"#)  // non-ASCII
        assertRejected(#"{"\u007f":1}"#)  // DEL
        assertRejected("{\"" + String(repeating: "k", count: 1025) + "\":1}")
    }

    func testValidFieldNamesAreAccepted() throws {
        XCTAssertEqual(try decode(#"{"":1}"#), .object(["": .float64(1)]))
        XCTAssertEqual(try decode(#"{"_x":{"_y":true}}"#), .object(["_x": .object(["_y": .boolean(true)])]))
        XCTAssertEqual(try decode(#"{"a$":null," ~":null}"#), .object(["a$": .null, " ~": .null]))
        let longest = String(repeating: "k", count: 1024)
        XCTAssertEqual(try decode("{\"" + longest + "\":1}"), .object([longest: .float64(1)]))
    }

    func testTrailingGarbageIsRejected() {
        for text in ["1 2", "{} x", "nullx", "[1],", "[1]]", "{}}", "\"a\"\"b\"", "true false", "1,"] {
            assertRejected(text)
        }
    }

    func testStructuralErrorsAreRejected() {
        for text in ["", " ", "[", "]", "{", "[1", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{1:2}",
                     "{'a':1}", "[1 2]", "{\"a\":1 \"b\":2}", "\"abc", "'abc'"] {
            assertRejected(text)
        }
    }

    // MARK: Depth

    func testNestingUpToTheDepthLimitIsAccepted() throws {
        for objects in [false, true] {
            let value = nested(ValueLimits.maxValueDepth, objects: objects)
            XCTAssertEqual(try decode(json(value)), value)
        }
    }

    func testNestingBeyondTheDepthLimitIsRejected() {
        for objects in [false, true] {
            let text = json(nested(ValueLimits.maxValueDepth + 1, objects: objects))
            XCTAssertThrowsError(try decode(text), equalTo: ValueError.tooDeep(limit: ValueLimits.maxValueDepth))
        }
        // Far deeper than the limit must fail cleanly rather than overflow the stack.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertRejected(deep)
    }

    func testSpecialScalarsAtTheDepthLimitRoundTrip() throws {
        // A wrapper object is how a scalar is spelled, not a level of nesting: an int64 inside 64 arrays is a
        // valid value of depth 64 and must read back.
        for scalar: Value in [.int64(5), .float64(.nan), .float64(-0.0), .bytes([1, 2])] {
            let value = nested(ValueLimits.maxValueDepth, around: scalar)
            XCTAssertEqual(value.depth, ValueLimits.maxValueDepth)
            XCTAssertEqual(try decode(json(value)), value)
            let objectValue = nested(ValueLimits.maxValueDepth, objects: true, around: scalar)
            XCTAssertEqual(try decode(json(objectValue)), objectValue)
        }
        // But an ordinary object one level too deep is still rejected, even though it looks like a wrapper's size.
        let tooDeep = nested(ValueLimits.maxValueDepth, around: .object(["a": .int64(1)]))
        XCTAssertThrowsError(try decode(json(tooDeep)), equalTo: ValueError.tooDeep(limit: ValueLimits.maxValueDepth))
        let tooDeepEmpty = nested(ValueLimits.maxValueDepth, around: .object([:]))
        XCTAssertThrowsError(try decode(json(tooDeepEmpty)), equalTo: ValueError.tooDeep(limit: ValueLimits.maxValueDepth))
    }

    func testCustomMaxDepthIsHonoured() throws {
        let three = Array(json(nested(3)).utf8)
        XCTAssertEqual(try ConvexJSONReader.decode(three, maxDepth: 3), nested(3))
        XCTAssertThrowsError(try ConvexJSONReader.decode(three, maxDepth: 2), equalTo: ValueError.tooDeep(limit: 2))
        XCTAssertEqual(try ConvexJSONReader.decode(Array("5".utf8), maxDepth: 0), .float64(5))
    }

    // MARK: Strings

    func testStringEscapesQuotesBackslashesAndControlCharacters() {
        let s = "\"\\\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}/\u{7F}"
        XCTAssertEqual(json(.string(s)), #""\"\\\n\r\t\b\f\u0000\u0001\u001f/\#u{7F}""#)
    }

    func testEveryControlCharacterIsEscapedAndReadsBack() throws {
        for c in 0..<0x20 {
            let s = "x" + String(Character(Unicode.Scalar(UInt8(c)))) + "y"
            let text = json(.string(s))
            XCTAssertFalse(text.utf8.contains { $0 < 0x20 }, "raw control character \(c) in \(text.debugDescription)")
            XCTAssertEqual(try decode(text), .string(s))
        }
    }

    func testTextBetweenEscapesIsKeptWholeAndInOrder() throws {
        let s = "first é \"quoted\" then\nline 😀 tab\tend\\"
        XCTAssertEqual(json(.string(s)), #""first é \"quoted\" then\nline 😀 tab\tend\\""#)
        XCTAssertEqual(try decode(json(.string(s))), .string(s))
    }

    func testProtocolIntegersAreWrittenAsPlainDecimals() {
        func written(_ write: (inout ConvexJSONWriter) -> Void) -> String {
            var writer = ConvexJSONWriter()
            write(&writer)
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        XCTAssertEqual(written { $0.writeInteger(UInt32(0)) }, "0")
        XCTAssertEqual(written { $0.writeInteger(UInt32.max) }, "4294967295")
        XCTAssertEqual(written { $0.writeInteger(UInt64.max) }, "18446744073709551615")
        XCTAssertEqual(written { $0.writeInteger(Int64.min) }, "-9223372036854775808")
        XCTAssertEqual(written { $0.writeInteger(-7) }, "-7")
    }

    func testNonASCIIIsWrittenAsRawUTF8() {
        XCTAssertEqual(Array(json(.string("é😀")).utf8), [0x22, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0x22])
    }

    func testUnicodeEscapesAndSurrogatePairsDecode() throws {
        XCTAssertEqual(try decode(#""\u00e9""#), .string("é"))
        XCTAssertEqual(try decode(#""\u00E9\u20AC""#), .string("é€"))
        XCTAssertEqual(try decode(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try decode(#""\uD83D\uDE00!""#), .string("😀!"))
        XCTAssertEqual(try decode(#""\udbff\udfff""#), .string("\u{10FFFF}"))
        XCTAssertEqual(try decode(#""\u0000""#), .string("\u{0}"))
        XCTAssertEqual(try decode(#""a\/b""#), .string("a/b"))
        XCTAssertEqual(try decode(#""\"\\\b\f\n\r\t""#), .string("\"\\\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try decode("\"é😀\""), .string("é😀"))
    }

    func testBrokenEscapesAndSurrogatesAreRejected() {
        for text in [
            #""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude00""#, #""\ude00\ud83d""#, #""\ud83d\ud83d""#,
            #""\u12""#, #""\u12g4""#, #""\x41""#, #""\a""#, #""\'""#, #""\""#, "\"\\",
        ] {
            assertRejected(text)
        }
    }

    func testRawControlCharactersInStringsAreRejected() {
        assertRejected("\"a\nb\"")
        assertRejected("\"a\u{0}b\"")
        assertRejected("\"\t\"")
    }

    func testInvalidUTF8IsRejected() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            XCTAssertThrowsError(try ConvexJSONReader.decode(bytes), "accepted \(bytes)")
        }
    }

    // MARK: Round trips

    func testRandomValuesRoundTripThroughJSON() throws {
        var gen = RandomValues(seed: 0xC0FFEE)
        for i in 0..<3000 {
            let value = gen.value()
            let text = ConvexJSONWriter.encode(value)
            let back = try ConvexJSONReader.decode(text)
            XCTAssertEqual(back, value, "case \(i): \(String(decoding: text, as: UTF8.self))")
            // The writer is canonical: writing what was read gives the same bytes.
            XCTAssertEqual(ConvexJSONWriter.encode(back), text, "case \(i)")
        }
    }

    func testPooledValuesRoundTripThroughJSON() throws {
        var gen = RandomValues(seed: 99, pooled: true, maxDepth: 6)
        for _ in 0..<2000 {
            let value = gen.value()
            XCTAssertEqual(try decode(json(value)), value)
        }
    }

    func testDecodingStringAndByteArrayEntryPointsAgree() throws {
        let text = #"{"a":[1.5,{"$integer":"BQAAAAAAAAA="}],"b":"é"}"#
        XCTAssertEqual(try ConvexJSONReader.decode(text), try ConvexJSONReader.decode(Array(text.utf8)))
    }

    func testWriterAppendsToItsBuffer() {
        var writer = ConvexJSONWriter()
        writer.write(.int64(5))
        writer.write(.null)
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), #"{"$integer":"BQAAAAAAAAA="}null"#)
    }

    // MARK: Base64

    func testBase64RoundTripsEveryLengthAndRejectsMalformedInput() {
        var rng = SplitMix64(seed: 5)
        for n in 0..<40 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64.encode(bytes)
            XCTAssertEqual(text.count % 4, 0)
            XCTAssertEqual(Base64.decode(text), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(Base64.encode(Array("fooba".utf8)), "Zm9vYmE=")
        XCTAssertEqual(Base64.encode(Array("foob".utf8)), "Zm9vYg==")
        for bad in ["Zm9", "Zm9vY", "Zm=v", "=m9v", "Zg==Zg==", "Zm9v\n", "Zm 9v", "Zé=="] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
    }
}
