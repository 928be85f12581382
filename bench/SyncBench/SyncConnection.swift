import Foundation
import HummingbirdWSClient
import Logging
import Protocol

/// A minimal Convex sync client for the benchmark: sends JSON messages, and hands every server
/// message (parsed) to `messages`.
final class SyncConnection: Sendable {
    let messages: AsyncStream<Value>
    private let commands: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(url: String) {
        let (messages, delivered) = AsyncStream.makeStream(of: Value.self)
        let (commandStream, commands) = AsyncStream.makeStream(of: String.self)
        self.messages = messages
        self.commands = commands
        let wsURL = url.replacingOccurrences(of: "http://", with: "ws://") + "/api/sync"
        task = Task {
            _ = try? await WebSocketClient.connect(url: wsURL, logger: Logger(label: "bench")) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await command in commandStream { try await outbound.write(.text(command)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 64 << 20) {
                            if case .text(let text) = message, let value = try? ConvexJSONReader.decode(text) { delivered.yield(value) }
                        }
                        delivered.finish()
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            delivered.finish()
        }
        send(#"{"type":"Connect","sessionId":"\#(UUID().uuidString.lowercased())","connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":0}"#)
    }

    func send(_ json: String) {
        commands.yield(json)
    }

    func close() {
        commands.finish()
        task.cancel()
    }
}
