import Foundation
import Protocol

/// A client that follows the official JS client's rules for mutations (docs/sync-protocol.md: client messages, settling mutations): one
/// `sessionId` for its whole life; a new socket, after `reconnectDelay`, whenever one closes; and on
/// it, every mutation not yet settled re-sent under its `requestId`, in order, including one whose
/// response came but whose covering Transition did not. A success settles once a Transition reaches
/// its commit timestamp; a failure settles at once.
actor SessionClient {
    enum Outcome: Sendable {
        case success(Value?)
        case failure(String)
    }

    private struct Pending {
        let message: String
        let continuation: CheckedContinuation<Outcome, Never>
        /// The response, once it came: its result and commit timestamp.
        var answered: (result: Value?, ts: Timestamp)?
    }

    let url: String
    let sessionId = UUID().uuidString.lowercased()
    private let reconnectDelay: Duration
    private var connection: SyncConnection?
    private var connections = 0
    private var nextRequestId = 0
    private var pending: [Int: Pending] = [:]
    /// The newest timestamp a Transition has reached, on any socket.
    private var transitionTs: Timestamp = 0
    private var stopped = false
    /// Sockets opened after the first.
    private(set) var reconnects = 0

    init(url: String, reconnectDelay: Duration = .milliseconds(100)) {
        self.url = url
        self.reconnectDelay = reconnectDelay
    }

    /// Sends a mutation and returns once it has settled, through any number of reconnects.
    func mutate(_ path: String, args: String) async -> Outcome {
        let requestId = nextRequestId
        nextRequestId += 1
        let message = SyncMessage.mutation(requestId: requestId, path: path, args: args)
        return await withCheckedContinuation { continuation in
            pending[requestId] = Pending(message: message, continuation: continuation)
            if let connection { connection.send(message) } else { connect() }
        }
    }

    /// Mutations sent and not yet settled.
    var unsettled: Int { pending.count }

    /// Closes the socket and opens no other; unsettled mutations fail.
    func stop() {
        stopped = true
        connection?.close()
        connection = nil
        for (_, waiting) in pending { waiting.continuation.resume(returning: .failure("the client stopped before it settled")) }
        pending = [:]
    }

    private func connect() {
        guard !stopped, connection == nil else { return }
        let connection = SyncConnection(url: url, connect: SyncMessage.connect(sessionId: sessionId, connectionCount: connections))
        if connections > 0 { reconnects += 1 }
        connections += 1
        self.connection = connection
        // Re-sent in requestId order, as the JS client does.
        for requestId in pending.keys.sorted() { connection.send(pending[requestId]!.message) }
        Task {
            var inbox = SyncInbox(connection)
            while let message = await inbox.next() { self.received(message) }
            await self.lost(connection)
        }
    }

    private func lost(_ closed: SyncConnection) async {
        guard connection === closed else { return }
        connection = nil
        guard !stopped else { return }
        try? await Task.sleep(for: reconnectDelay)
        connect()
    }

    private func received(_ text: String) {
        if SyncMessage.hasType(text, "MutationResponse") {
            guard let response = try? ConvexJSONReader.decode(text), let requestId = response["requestId"]?.number.map(Int.init),
                  var waiting = pending[requestId] else { return }
            guard response["success"] == .boolean(true) else {
                pending[requestId] = nil
                let message: String = if case .string(let text)? = response["result"] { text } else { "\(response["result"] ?? .null)" }
                waiting.continuation.resume(returning: .failure(message))
                return
            }
            guard case .string(let tsText)? = response["ts"], let ts = SyncTimestamp.decode(tsText) else {
                pending[requestId] = nil
                waiting.continuation.resume(returning: .failure("a successful MutationResponse without a timestamp: \(text)"))
                return
            }
            waiting.answered = (response["result"], ts)
            pending[requestId] = waiting
            settle()
        } else if SyncMessage.hasType(text, "Transition") {
            guard let transition = try? ConvexJSONReader.decode(text), case .string(let tsText)? = transition["endVersion"]?["ts"],
                  let ts = SyncTimestamp.decode(tsText) else { return }
            transitionTs = max(transitionTs, ts)
            settle()
        }
    }

    /// Settles every answered success that a Transition has covered.
    private func settle() {
        for (requestId, waiting) in pending {
            guard let answered = waiting.answered, answered.ts <= transitionTs else { continue }
            pending[requestId] = nil
            waiting.continuation.resume(returning: .success(answered.result))
        }
    }
}
