import NIOCore

/// One message between Converge processes.
///
/// On the wire: `u32 length (big-endian) ‖ u8 kind ‖ u64 requestID ‖ body`, where `length` counts
/// everything after itself. A response carries the request ID of its request, so many requests can be
/// in flight on one connection; pushes that answer no request use ID 0.
public struct Frame: Sendable {
    /// The `MessageKind` raw value.
    public var kind: UInt8
    public var requestID: UInt64
    public var body: ByteBuffer

    public init(kind: UInt8, requestID: UInt64, body: ByteBuffer) {
        self.kind = kind
        self.requestID = requestID
        self.body = body
    }

    /// Bytes of kind and request ID that every frame carries after the length.
    public static let headerSize = 9
    /// The default upper bound for one frame: a full 16 MiB transaction plus its framing and keys.
    public static let defaultMaxSize = 48 << 20
}

/// Splits a byte stream into frames. Rejects a length below the header size or above the limit
/// before buffering the body, so an oversized frame costs no memory.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame
    /// Largest `length` accepted (bytes after the length field); a larger one throws `frameTooLarge`.
    public let maxFrameSize: Int

    public init(maxFrameSize: Int = Frame.defaultMaxSize) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try FrameDecoder.parse(&buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        if state == .needMoreData, buffer.readableBytes > 0 {
            throw ProtocolError.truncated("frame: connection closed with \(buffer.readableBytes) bytes of a partial frame")
        }
        return state
    }

    /// Takes one whole frame off the front of `buffer`, or returns nil (consuming nothing) if it is not all there yet.
    public static func parse(_ buffer: inout ByteBuffer, maxFrameSize: Int) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= Frame.headerSize else { throw ProtocolError.malformed("frame length \(length) is shorter than its header") }
        guard Int(length) <= maxFrameSize else { throw ProtocolError.frameTooLarge(length: Int(length), limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let kind = buffer.readInteger(as: UInt8.self)!
        let requestID = buffer.readInteger(as: UInt64.self)!
        let body = buffer.readSlice(length: Int(length) - Frame.headerSize)!
        return Frame(kind: kind, requestID: requestID, body: body)
    }
}

/// Writes each outbound `Frame` in its wire form (`Frame.write(to:)`).
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data frame: Frame, out: inout ByteBuffer) throws {
        frame.write(to: &out)
    }
}

extension Frame {
    /// Appends the frame's wire form: length, kind, request ID, body.
    public func write(to out: inout ByteBuffer) {
        out.writeInteger(UInt32(Frame.headerSize + body.readableBytes))
        out.writeInteger(kind)
        out.writeInteger(requestID)
        out.writeImmutableBuffer(body)
    }
}
