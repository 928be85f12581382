import NIOCore
import Protocol

/// What a sync session sends on its WebSocket. Frames are encoded here and written from the pipeline
/// position next to the socket, so they pass no handler on the way out: a delivery after a commit
/// touches one context of each of a thousand channels, not every handler of each (a handler's context,
/// cold by the time its channel's turn comes, is a cache miss). Hummingbird still reads the socket,
/// answers pings and closes it; the frames it writes interleave with these whole.
/// (No WebSocket extension is configured: frames are sent as they are.)
struct SyncSocket: Sendable {
    let channel: any Channel
    private let head: NIOLoopBound<ChannelHandlerContext>

    /// Takes the position next to the socket in `channel`'s pipeline.
    init(channel: any Channel) async throws {
        self.channel = channel
        head = try await channel.eventLoop.submit {
            let writer = FrameWriter()
            try channel.pipeline.syncOperations.addHandler(writer, position: .first)
            return NIOLoopBound(try channel.pipeline.syncOperations.context(handler: writer), eventLoop: channel.eventLoop)
        }.get()
    }

    /// Queues a message; `flush` sends it with those queued before it. Throws once the socket
    /// is closed. A client that does not read gets no more than one message past the channel's high
    /// water mark before the caller waits for the socket to drain.
    nonisolated(nonsending) func send(_ message: SyncServerMessage, flush: Bool = true) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let frame = Self.textFrame(message.jsonBytes)
        let head = head
        guard flush else { return channel.eventLoop.execute { head.value.write(NIOAny(frame), promise: nil) } }
        if channel.isWritable {
            channel.eventLoop.execute { head.value.writeAndFlush(NIOAny(frame), promise: nil) }
        } else {
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.eventLoop.execute { head.value.writeAndFlush(NIOAny(frame), promise: written) }
            try await written.futureResult.get()
        }
    }

    /// Sends what `send(_:flush: false)` queued.
    func flush() {
        let head = head
        channel.eventLoop.execute { head.value.flush() }
    }

    private static let allocator = ByteBufferAllocator()

    /// A final, unmasked text frame (RFC 6455 §5.2: a server's frames are not masked).
    static func textFrame(_ payload: [UInt8]) -> ByteBuffer {
        var frame = allocator.buffer(capacity: payload.count + 10)
        frame.writeInteger(UInt8(0x81)) // FIN, text
        switch payload.count {
        case ..<126:
            frame.writeInteger(UInt8(payload.count))
        case ...0xFFFF:
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(payload.count))
        default:
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(payload.count))
        }
        frame.writeBytes(payload)
        return frame
    }
}

/// Marks the pipeline position next to the socket; what passes it, it passes on.
private final class FrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
}
