import ConvergeTestSupport
import NIOCore
import XCTest

@testable import Protocol

/// Framing: `u32 length ‖ u8 kind ‖ u64 requestID ‖ body`, with `length` counting everything after itself.
final class FrameCodecTests: XCTestCase {
    private func serialize(_ frames: [Frame]) -> ByteBuffer {
        var out = ByteBuffer()
        for frame in frames { frame.write(to: &out) }
        return out
    }

    private func frame(kind: UInt8, id: UInt64, body: [UInt8]) -> Frame {
        Frame(kind: kind, requestID: id, body: ByteBuffer(bytes: body))
    }

    func testWriteProducesLengthKindRequestIDAndBody() {
        let out = serialize([frame(kind: 17, id: 0x0102_0304_0506_0708, body: [0xAA, 0xBB])])
        XCTAssertEqual(out.bytesView, [0, 0, 0, 11, 17, 1, 2, 3, 4, 5, 6, 7, 8, 0xAA, 0xBB])
    }

    func testEmptyBodyFrameHasLengthNine() throws {
        var out = serialize([frame(kind: 71, id: 0, body: [])])
        XCTAssertEqual(out.bytesView, [0, 0, 0, 9, 71, 0, 0, 0, 0, 0, 0, 0, 0])
        let parsed = try XCTUnwrap(try FrameDecoder.parse(&out, maxFrameSize: 100))
        XCTAssertEqual(parsed.kind, 71)
        XCTAssertEqual(parsed.requestID, 0)
        XCTAssertEqual(parsed.body.readableBytes, 0)
        XCTAssertEqual(out.readableBytes, 0)
    }

    func testWriteOnlyWritesTheBodysReadableBytes() {
        var body = ByteBuffer(bytes: [9, 9, 1, 2, 3])
        body.moveReaderIndex(forwardBy: 2)
        let out = serialize([Frame(kind: 1, requestID: 2, body: body)])
        XCTAssertEqual(out.bytesView, [0, 0, 0, 12, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 3])
    }

    func testWriteThenParseRoundTrips() throws {
        var rng = SplitMix64(seed: 12)
        for size in [0, 1, 2, 100, 4096, 70_000] {
            let body = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let original = frame(kind: UInt8.random(in: 0...255, using: &rng), id: rng.next(), body: body)
            var buffer = serialize([original])
            let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: Frame.defaultMaxSize))
            XCTAssertEqual(parsed.kind, original.kind)
            XCTAssertEqual(parsed.requestID, original.requestID)
            XCTAssertEqual(parsed.body.bytesView, body)
            XCTAssertEqual(buffer.readableBytes, 0)
        }
    }

    func testFrameEncoderWritesTheSameBytesAsWrite() throws {
        let f = frame(kind: 3, id: .max, body: [1, 2, 3, 4])
        var viaEncoder = ByteBuffer()
        try FrameEncoder().encode(data: f, out: &viaEncoder)
        XCTAssertEqual(viaEncoder.bytesView, serialize([f]).bytesView)
    }

    func testPartialInputReturnsNilWithoutConsuming() throws {
        let whole = serialize([frame(kind: 5, id: 77, body: [1, 2, 3, 4, 5, 6, 7])]).bytesView
        for n in 0..<whole.count {
            var buffer = ByteBuffer(bytes: whole[0..<n])
            XCTAssertNil(try FrameDecoder.parse(&buffer, maxFrameSize: 1000), "prefix of \(n) bytes")
            XCTAssertEqual(buffer.readerIndex, 0, "prefix of \(n) bytes consumed something")
            XCTAssertEqual(buffer.readableBytes, n)
        }
        var buffer = ByteBuffer(bytes: whole)
        XCTAssertNotNil(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
    }

    func testPartialInputCompletesOnceTheRestArrives() throws {
        let whole = serialize([frame(kind: 5, id: 77, body: [1, 2, 3])]).bytesView
        var buffer = ByteBuffer(bytes: whole[0..<6])
        XCTAssertNil(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
        buffer.writeBytes(whole[6...])
        let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
        XCTAssertEqual(parsed.requestID, 77)
        XCTAssertEqual(parsed.body.bytesView, [1, 2, 3])
    }

    func testLengthShorterThanTheHeaderThrows() {
        for length: UInt32 in [0, 1, 8] {
            var buffer = ByteBuffer()
            buffer.writeInteger(length)
            buffer.writeBytes([UInt8](repeating: 0, count: 20))
            XCTAssertThrowsError(try FrameDecoder.parse(&buffer, maxFrameSize: 1000), "length \(length)") { error in
                guard case .malformed = error as? ProtocolError else { return XCTFail("got \(error)") }
            }
        }
        // Even with nothing but the length present.
        var bare = ByteBuffer()
        bare.writeInteger(UInt32(3))
        XCTAssertThrowsProtocolError(try FrameDecoder.parse(&bare, maxFrameSize: 1000))
    }

    func testLengthAboveTheLimitThrowsBeforeTheBodyArrives() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(101))  // only the length prefix is here; the body never needs to be buffered
        XCTAssertThrowsError(try FrameDecoder.parse(&buffer, maxFrameSize: 100), equalTo: ProtocolError.frameTooLarge(length: 101, limit: 100))

        var huge = ByteBuffer()
        huge.writeInteger(UInt32.max)
        huge.writeInteger(UInt8(10))
        XCTAssertThrowsError(try FrameDecoder.parse(&huge, maxFrameSize: Frame.defaultMaxSize),
                             equalTo: ProtocolError.frameTooLarge(length: Int(UInt32.max), limit: Frame.defaultMaxSize))
    }

    func testLengthExactlyAtTheLimitIsAccepted() throws {
        var buffer = serialize([frame(kind: 1, id: 1, body: [UInt8](repeating: 7, count: 91))])
        let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 100))
        XCTAssertEqual(parsed.body.readableBytes, 91)
    }

    func testSeveralFramesBackToBack() throws {
        let frames = [
            frame(kind: 10, id: 1, body: []),
            frame(kind: 15, id: 2, body: [1]),
            frame(kind: 64, id: .max, body: Array(0..<200)),
            frame(kind: 96, id: 0, body: [0, 0, 0, 9]),  // a body that looks like a length prefix
        ]
        var buffer = serialize(frames)
        let partialNext = serialize([frame(kind: 71, id: 5, body: [4, 4, 4])]).bytesView
        buffer.writeBytes(partialNext[0..<10])

        for expected in frames {
            let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
            XCTAssertEqual(parsed.kind, expected.kind)
            XCTAssertEqual(parsed.requestID, expected.requestID)
            XCTAssertEqual(parsed.body.bytesView, expected.body.bytesView)
        }
        XCTAssertNil(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
        XCTAssertEqual(buffer.bytesView, Array(partialNext[0..<10]))
        buffer.writeBytes(partialNext[10...])
        let last = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
        XCTAssertEqual(last.requestID, 5)
        XCTAssertEqual(last.body.bytesView, [4, 4, 4])
        XCTAssertNil(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
    }

    func testParsedBodyDoesNotExtendIntoTheNextFrame() throws {
        var buffer = serialize([frame(kind: 1, id: 1, body: [1, 2]), frame(kind: 2, id: 2, body: [3, 4])])
        var first = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 1000))
        XCTAssertEqual(first.body.readBytes(length: first.body.readableBytes), [1, 2])
        XCTAssertNil(first.body.readInteger(as: UInt8.self))
    }

    func testRequestIDIsBigEndian() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 9, 42, 0, 0, 0, 0, 0, 0, 1, 0])
        let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: 100))
        XCTAssertEqual(parsed.kind, 42)
        XCTAssertEqual(parsed.requestID, 256)
    }

    func testDefaultDecoderLimit() {
        XCTAssertEqual(FrameDecoder().maxFrameSize, Frame.defaultMaxSize)
        XCTAssertEqual(FrameDecoder(maxFrameSize: 10).maxFrameSize, 10)
        XCTAssertEqual(Frame.headerSize, 9)
    }
}
