import Protocol
import XCTest

final class HexTests: XCTestCase {
    func testBytesRoundTripAsLowercaseHex() {
        let bytes: [UInt8] = [0x00, 0x0f, 0x10, 0xab, 0xff]
        XCTAssertEqual(Hex.encode(bytes), "000f10abff")
        XCTAssertEqual(Hex.decode("000f10abff"), bytes)
        XCTAssertEqual(Hex.decode("000F10ABFF"), bytes, "upper case reads too")
        XCTAssertEqual(Hex.decode(""), [])
    }

    func testTextThatIsNotWholeBytesOfHexIsRefused() {
        XCTAssertNil(Hex.decode("abc"), "odd length")
        XCTAssertNil(Hex.decode("zz"))
        XCTAssertNil(Hex.decode("+f"), "a sign is not a digit")
        XCTAssertNil(Hex.decode("é1"))
    }

    func testContentHashIsTheHexSHA256OfTheText() {
        XCTAssertEqual(ContentHash.of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(ContentHash.of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
