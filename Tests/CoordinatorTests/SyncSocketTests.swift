@testable import Coordinator
import NIOCore
import XCTest

/// The WebSocket frames the coordinator encodes itself (RFC 6455 §5.2): final, text, unmasked, with
/// the payload length in 7, 16 or 64 bits. (`compat/sync_client.py` reads all three through the
/// official client.)
final class SyncSocketTests: XCTestCase {
    private func header(ofPayload count: Int) -> [UInt8] {
        let frame = SyncSocket.textFrame([UInt8](repeating: 0x78, count: count))
        let headerLength = frame.readableBytes - count
        XCTAssertEqual(frame.getBytes(at: frame.readerIndex + headerLength, length: count), [UInt8](repeating: 0x78, count: count), "the payload follows the header")
        return frame.getBytes(at: frame.readerIndex, length: headerLength)!
    }

    func testLengthsUpTo125FitTheFirstByte() {
        XCTAssertEqual(header(ofPayload: 0), [0x81, 0])
        XCTAssertEqual(header(ofPayload: 125), [0x81, 125])
    }

    func testLengthsUpTo65535TakeSixteenBits() {
        XCTAssertEqual(header(ofPayload: 126), [0x81, 126, 0, 126])
        XCTAssertEqual(header(ofPayload: 65_535), [0x81, 126, 0xFF, 0xFF])
    }

    func testLongerLengthsTakeSixtyFourBits() {
        XCTAssertEqual(header(ofPayload: 65_536), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
        XCTAssertEqual(header(ofPayload: 70_000), [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70])
    }
}
