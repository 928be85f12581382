import NIOCore
import NIOEmbedded
import Protocol

/// One end of a frame connection in memory: a channel with the frame codec and a handler, whose
/// event loop runs only when told to. Tests move the bytes one end writes to the other.
public struct InMemoryFrameEnd: Sendable {
    public let channel: NIOAsyncTestingChannel

    public init(_ channel: NIOAsyncTestingChannel = NIOAsyncTestingChannel(), maxFrameSize: Int = Frame.defaultMaxSize,
                handler: any ChannelHandler & Sendable) async throws {
        self.channel = channel
        try await channel.testingEventLoop.executeInContext { try FrameTransport.addCodec(to: channel, maxFrameSize: maxFrameSize, then: handler) }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
    }

    /// Runs what is queued on the loop (writers hop to it) and takes what was written.
    public func written() async throws -> [ByteBuffer] {
        await channel.testingEventLoop.run()
        var out: [ByteBuffer] = []
        while let bytes = try await channel.readOutbound(as: ByteBuffer.self) { out.append(bytes) }
        return out
    }

    /// Bytes from the other end; a handler that fails on them has seen the error in `errorCaught`.
    public func receive(_ bytes: ByteBuffer) async {
        _ = try? await channel.writeInbound(bytes)
        await channel.testingEventLoop.run()
    }

    public var isActive: Bool {
        get async throws { try await channel.testingEventLoop.executeInContext { channel.isActive } }
    }

    /// How `future` (of this end's loop) ended, or nil if it has not.
    public func outcome<T: Sendable>(_ future: EventLoopFuture<T>) async throws -> Result<T, Error>? {
        let outcome = Locked<Result<T, Error>?>(nil)
        try await channel.testingEventLoop.executeInContext { future.whenComplete { result in outcome.withLock { $0 = result } } }
        return outcome.value
    }

    /// Moves bytes between two ends until `done` holds or 5 s have passed (a handler may answer from
    /// a task of its own, so a quiet moment is not the end).
    public static func pump(_ a: InMemoryFrameEnd, _ b: InMemoryFrameEnd, until done: () async throws -> Bool) async throws {
        for _ in 0..<1000 {
            for bytes in try await a.written() { await b.receive(bytes) }
            for bytes in try await b.written() { await a.receive(bytes) }
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
