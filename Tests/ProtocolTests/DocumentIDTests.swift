import ConvergeTestSupport
import XCTest

@testable import Protocol

/// Document ID strings (docs/values-and-ids.md, Document IDs).
final class DocumentIDTests: XCTestCase {
    /// The backend's own test vector: b[0] = 251, b[i] = b[i-1] * 251 mod 256.
    private var vectorInternalID: InternalID {
        var bytes: [UInt8] = [251]
        for _ in 1..<16 { bytes.append(UInt8((Int(bytes.last!) * 251) % 256)) }
        return InternalID(bytes: bytes)!
    }

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// Builds an ID string from raw parts, with the footer computed per the spec, so tests can craft
    /// IDs the encoder would never produce.
    private func idString(varint: [UInt8], internalBytes: [UInt8], footer: UInt16? = nil, extra: [UInt8] = []) -> String {
        var bytes = varint + internalBytes
        let check = footer ?? specFletcher16(bytes)
        bytes += [UInt8(check & 0xFF), UInt8(check >> 8)] + extra
        return Base32.encode(bytes)
    }

    /// Fletcher-16 as the spec words it: c0 = Σ bytes mod 256, c1 = Σ running c0 mod 256, checksum (c1 << 8) | c0.
    private func specFletcher16(_ bytes: [UInt8]) -> UInt16 {
        var c0 = 0, c1 = 0
        for b in bytes {
            c0 = (c0 + Int(b)) % 256
            c1 = (c1 + c0) % 256
        }
        return UInt16(c1 << 8 | c0)
    }

    func testBackendTestVectorEncodes() {
        let id = DocumentID(tableNumber: 1017, internalID: vectorInternalID)
        XCTAssertEqual(id.description, "z43zp6c3e75gkmz1kfwj6mbbx5sw281h")
        XCTAssertEqual("\(id)", "z43zp6c3e75gkmz1kfwj6mbbx5sw281h")
    }

    func testBackendTestVectorDecodes() throws {
        let id = try XCTUnwrap(DocumentID("z43zp6c3e75gkmz1kfwj6mbbx5sw281h"))
        XCTAssertEqual(id.tableNumber, 1017)
        XCTAssertEqual(id.internalID, vectorInternalID)
    }

    func testRealStorageIDDecodesToTable540AndItsDay() throws {
        let id = try XCTUnwrap(DocumentID("kg27rxfv99gzp01wmph0gvt92d6hnvy6"))
        XCTAssertEqual(id.tableNumber, 540)
        let day = UInt16(id.internalID.bytes[14]) << 8 | UInt16(id.internalID.bytes[15])
        XCTAssertEqual(day, 19738)
        XCTAssertEqual(id.description, "kg27rxfv99gzp01wmph0gvt92d6hnvy6")
    }

    func testFletcherChecksumMatchesTheSpecFormula() {
        XCTAssertEqual(DocumentID.fletcher16([1, 2, 3]), 0x0A06)
        XCTAssertEqual(DocumentID.fletcher16([]), 0)
        var rng = SplitMix64(seed: 3)
        for n in [1, 17, 18, 300] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(DocumentID.fletcher16(bytes), specFletcher16(bytes))
        }
    }

    func testLengthIs31ForSmallTablesAnd32ForTablesUpTo16383() {
        let internalID = vectorInternalID
        for table: UInt32 in [1, 2, 100, 127] {
            XCTAssertEqual(DocumentID(tableNumber: table, internalID: internalID).description.count, 31, "table \(table)")
        }
        for table: UInt32 in [128, 513, 540, 10001, 16383] {
            XCTAssertEqual(DocumentID(tableNumber: table, internalID: internalID).description.count, 32, "table \(table)")
        }
    }

    func testLongerVarIntsGiveLongerIDsUpTo37Characters() throws {
        let expected: [(UInt32, Int)] = [(16384, 34), ((1 << 21) - 1, 34), (1 << 21, 36), ((1 << 28) - 1, 36), (1 << 28, 37), (.max, 37)]
        for (table, length) in expected {
            let id = DocumentID(tableNumber: table, internalID: vectorInternalID)
            XCTAssertEqual(id.description.count, length, "table \(table)")
            XCTAssertEqual(DocumentID(id.description), id, "table \(table)")
        }
    }

    func testOnlyTheLowercaseAlphabetIsUsed() {
        var rng = SplitMix64(seed: 8)
        for _ in 0..<200 {
            let table = UInt32.random(in: 1...UInt32.max, using: &rng)
            let id = DocumentID.generate(tableNumber: table, nowMillis: 1.7e12, using: &rng)
            XCTAssertTrue(id.description.allSatisfy { Self.alphabet.contains($0) }, id.description)
        }
    }

    func testGeneratedIDsRoundTrip() {
        var rng = SplitMix64(seed: 42)
        for i in 0..<2000 {
            let table: UInt32
            switch i % 4 {
            case 0: table = UInt32.random(in: 1...127, using: &rng)
            case 1: table = UInt32.random(in: 128...16383, using: &rng)
            case 2: table = UInt32.random(in: 10001...20000, using: &rng)
            default: table = UInt32.random(in: 1...UInt32.max, using: &rng)
            }
            let id = DocumentID.generate(tableNumber: table, nowMillis: Double.random(in: 0...4e12, using: &rng), using: &rng)
            let text = id.description
            XCTAssertTrue((31...37).contains(text.count))
            XCTAssertEqual(DocumentID(text), id, text)
        }
    }

    func testGenerateWritesTheDayNumberBigEndianInTheLastTwoBytes() {
        var rng = SplitMix64(seed: 1)
        let millis = 19738.0 * 86_400_000 + 12_345_678
        let id = DocumentID.generate(tableNumber: 10001, nowMillis: millis, using: &rng)
        XCTAssertEqual(id.tableNumber, 10001)
        XCTAssertEqual(id.internalID.bytes.count, 16)
        XCTAssertEqual(Array(id.internalID.bytes[14...]), [UInt8(19738 >> 8), UInt8(19738 & 0xFF)])
    }

    func testGenerateIsDeterministicForASeedAndDiffersAcrossDraws() {
        var a = SplitMix64(seed: 77), b = SplitMix64(seed: 77)
        let first = DocumentID.generate(tableNumber: 10001, nowMillis: 1.7e12, using: &a)
        XCTAssertEqual(first, DocumentID.generate(tableNumber: 10001, nowMillis: 1.7e12, using: &b))
        XCTAssertNotEqual(first, DocumentID.generate(tableNumber: 10001, nowMillis: 1.7e12, using: &a))
        XCTAssertNotEqual(DocumentID.generate(tableNumber: 10001, nowMillis: 1.7e12), DocumentID.generate(tableNumber: 10001, nowMillis: 1.7e12))
    }

    func testCraftedIDWithSpecChecksumIsAccepted() throws {
        // Control for the rejection tests below: the crafting helper itself produces valid IDs.
        let text = idString(varint: [0x9C, 0x04], internalBytes: vectorInternalID.bytes)  // 540 as LEB128
        let id = try XCTUnwrap(DocumentID(text))
        XCTAssertEqual(id.tableNumber, 540)
        XCTAssertEqual(id.internalID, vectorInternalID)
    }

    func testWrongChecksumIsRejected() {
        let body: [UInt8] = [0x9C, 0x04] + vectorInternalID.bytes
        let good = specFletcher16(body)
        for bad in [good ^ 1, good ^ 0x100, good &+ 1, UInt16(good >> 8) | UInt16(good & 0xFF) << 8, 0, 0xFFFF] where bad != good {
            XCTAssertNil(DocumentID(idString(varint: [0x9C, 0x04], internalBytes: vectorInternalID.bytes, footer: bad)), "footer \(bad)")
        }
    }

    func testChangingAnyCharacterIsDetected() {
        let valid = Array("z43zp6c3e75gkmz1kfwj6mbbx5sw281h")
        for i in valid.indices {
            for c in Self.alphabet where c != valid[i] {
                var changed = valid
                changed[i] = c
                XCTAssertNil(DocumentID(String(changed)), "accepted \(String(changed))")
            }
        }
    }

    func testCharactersOutsideTheAlphabetAreRejected() {
        let valid = "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"
        XCTAssertNotNil(DocumentID(valid))
        for bad: Character in ["i", "l", "o", "u", "I", "L", "O", "U", "Z", "-", "_", " ", "=", "é", "\u{0}"] {
            for position in [0, 10, 31] {
                var chars = Array(valid)
                chars[position] = bad
                XCTAssertNil(DocumentID(String(chars)), "accepted \(bad.debugDescription) at \(position)")
            }
        }
        XCTAssertNil(DocumentID(valid.uppercased()))
    }

    func testWrongLengthsAreRejected() {
        let valid = "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"
        XCTAssertNil(DocumentID(""))
        XCTAssertNil(DocumentID(String(valid.dropLast())))
        XCTAssertNil(DocumentID(String(valid.dropFirst())))
        XCTAssertNil(DocumentID(valid + "0"))
        XCTAssertNil(DocumentID(valid + "00000"))
        XCTAssertNil(DocumentID(String(repeating: "0", count: 38)))
        XCTAssertNil(DocumentID(String(repeating: "z", count: 500)))
        XCTAssertNil(DocumentID(String(valid.prefix(30))))
    }

    func testExtraWholeByteIsRejectedEvenWithValidChecksumPrefix() {
        // 19 valid bytes plus one more: every byte must be used.
        let text = idString(varint: [5], internalBytes: vectorInternalID.bytes, extra: [0])
        XCTAssertEqual(text.count, 32)
        XCTAssertNil(DocumentID(text))
    }

    func testNonCanonicalTrailingBitsAreRejected() throws {
        // 19 bytes = 152 bits take 31 characters = 155 bits; the last 3 bits must be zero.
        let canonical = DocumentID(tableNumber: 5, internalID: vectorInternalID).description
        XCTAssertEqual(canonical.count, 31)
        var chars = Array(canonical)
        let last = try XCTUnwrap(Self.alphabet.firstIndex(of: chars[30]))
        XCTAssertEqual(last & 0b111, 0, "canonical encoding leaves the spare bits zero")
        for spare in 1...7 {
            chars[30] = Self.alphabet[last | spare]
            let text = String(chars)
            // Same bytes once decoded, so only the canonical re-encoding check can reject it.
            XCTAssertEqual(Base32.decode(text), Base32.decode(canonical))
            XCTAssertNil(DocumentID(text), "accepted spare bits \(spare)")
        }
    }

    func testOverlongVarIntIsRejected() {
        // 5 written as two LEB128 bytes (0x85 0x00) with a correct checksum: decodes, but is not canonical.
        let text = idString(varint: [0x85, 0x00], internalBytes: vectorInternalID.bytes)
        XCTAssertNil(DocumentID(text))
        XCTAssertNotNil(DocumentID(idString(varint: [0x05], internalBytes: vectorInternalID.bytes)))
    }

    func testTableNumberZeroIsRejected() {
        XCTAssertNil(DocumentID(idString(varint: [0x00], internalBytes: vectorInternalID.bytes)))
    }

    func testVarIntWithoutTerminatorIsRejected() {
        // Five continuation bytes: never ends within the five bytes a table number may take.
        let text = idString(varint: [0x80, 0x80, 0x80, 0x80, 0x80], internalBytes: vectorInternalID.bytes)
        XCTAssertNil(DocumentID(text))
        // A five-byte varint above UInt32.max.
        XCTAssertNil(DocumentID(idString(varint: [0xFF, 0xFF, 0xFF, 0xFF, 0x7F], internalBytes: vectorInternalID.bytes)))
    }

    func testVarIntEncodingIsLEB128() {
        XCTAssertEqual(VarInt.encode(1), [0x01])
        XCTAssertEqual(VarInt.encode(127), [0x7F])
        XCTAssertEqual(VarInt.encode(128), [0x80, 0x01])
        XCTAssertEqual(VarInt.encode(540), [0x9C, 0x04])
        XCTAssertEqual(VarInt.encode(.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        XCTAssertEqual(VarInt.decode([0x9C, 0x04, 0xAA])?.0, 540)
        XCTAssertEqual(VarInt.decode([0x9C, 0x04, 0xAA])?.1, 2)
    }

    func testInternalIDMustBe16Bytes() {
        XCTAssertNil(InternalID(bytes: []))
        XCTAssertNil(InternalID(bytes: [UInt8](repeating: 0, count: 15)))
        XCTAssertNil(InternalID(bytes: [UInt8](repeating: 0, count: 17)))
        XCTAssertNotNil(InternalID(bytes: [UInt8](repeating: 0, count: 16)))
    }

    func testInternalIDsOrderByteWise() {
        let a = InternalID(bytes: [0] + [UInt8](repeating: 0xFF, count: 15))!
        let b = InternalID(bytes: [1] + [UInt8](repeating: 0, count: 15))!
        XCTAssertLessThan(a, b)
        XCTAssertFalse(b < a)
        XCTAssertFalse(a < a)
    }

    func testBase32MatchesTheSpecLengths() {
        for (bytes, chars) in [(1, 2), (2, 4), (3, 5), (4, 7), (5, 8), (19, 31), (20, 32), (23, 37)] {
            XCTAssertEqual(Base32.encode([UInt8](repeating: 0xA5, count: bytes)).count, chars, "\(bytes) bytes")
        }
        XCTAssertEqual(Base32.encode([0xFF]), "zw")
        XCTAssertEqual(Base32.encode([0x00, 0x44, 0x32, 0x14, 0xC7]), "0123456789".prefix(8).description)
    }
}
