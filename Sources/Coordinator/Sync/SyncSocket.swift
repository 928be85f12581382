import NIOCore
import NIOWebSocket
import Protocol

/// What a sync session sends on its WebSocket, written to the channel directly rather than through
/// hummingbird's async writer (a writer task's state machine and a flush per message): a mutation's
/// response is flushed together with the Transition that follows it. Hummingbird still reads the
/// socket, answers pings and closes it; the frames it writes interleave with these whole.
/// (No WebSocket extension is configured: frames written here are sent as they are.)
struct SyncSocket: Sendable {
    let channel: any Channel

    /// Queues a message; `flush` sends it with those queued before it. Throws once the socket
    /// is closed. A client that does not read gets no more than one message past the channel's high
    /// water mark before the caller waits for the socket to drain.
    nonisolated(nonsending) func send(_ message: SyncServerMessage, flush: Bool = true) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(bytes: message.jsonBytes))
        guard flush else { return channel.write(frame, promise: nil) }
        if channel.isWritable {
            channel.writeAndFlush(frame, promise: nil)
        } else {
            try await channel.writeAndFlush(frame).get()
        }
    }

    /// Sends what `send(_:flush: false)` queued.
    func flush() {
        channel.flush()
    }
}
