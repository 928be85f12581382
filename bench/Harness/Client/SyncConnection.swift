import Foundation
import HummingbirdWSClient
import Logging

/// A lean client of the Convex sync protocol: sends JSON text, and hands every server message to
/// `messages` as its raw text. It parses nothing itself, so that a thousand of them sharing the
/// machine with the deployment cost little of its CPU; `SyncMessage` reads what a workload needs.
final class SyncConnection: Sendable {
    let messages: AsyncStream<String>
    private let commands: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(url: String) {
        let (messages, delivered) = AsyncStream.makeStream(of: String.self)
        let (commandStream, commands) = AsyncStream.makeStream(of: String.self)
        self.messages = messages
        self.commands = commands
        let wsURL = url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://") + "/api/sync"
        task = Task {
            _ = try? await WebSocketClient.connect(url: wsURL, configuration: .init(maxFrameSize: 64 << 20), logger: Logger(label: "converge-bench")) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await command in commandStream { try await outbound.write(.text(command)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 64 << 20) {
                            if case .text(let text) = message { delivered.yield(text) }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            delivered.finish()
        }
        send(SyncMessage.connect())
    }

    func send(_ json: String) {
        commands.yield(json)
    }

    func close() {
        commands.finish()
        task.cancel()
    }
}

/// A connection's messages, read by one task at a time. A new inbox of the same connection goes on
/// where the last one stopped.
struct SyncInbox {
    private var iterator: AsyncStream<String>.Iterator

    init(_ connection: SyncConnection) {
        iterator = connection.messages.makeAsyncIterator()
    }

    /// The next message, or nil once the socket has closed.
    mutating func next() async -> String? {
        await iterator.next()
    }

    /// Reads until a message of `type`; nil if the socket closes first.
    mutating func next(ofType type: StaticString) async -> String? {
        while let message = await iterator.next() {
            if SyncMessage.hasType(message, type) { return message }
        }
        return nil
    }

    /// Waits for the response to a mutation sent alone on this socket and then for the Transition
    /// after it, as the official clients do before they resolve the mutation's promise. Returns the
    /// response, or nil if the socket closed.
    mutating func mutationSettled() async -> String? {
        guard let response = await next(ofType: "MutationResponse") else { return nil }
        guard await next(ofType: "Transition") != nil else { return nil }
        return response
    }

    /// `mutationSettled`, for a mutation that must succeed: throws what went wrong otherwise.
    mutating func mutationSucceeded() async throws {
        guard let response = await mutationSettled() else { throw BenchFailure("the socket closed") }
        guard SyncMessage.succeeded(response) else { throw BenchFailure("the mutation failed: \(SyncMessage.mutationError(response))") }
    }
}
