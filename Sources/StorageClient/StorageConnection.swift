import NIOCore
import NIOPosix
import Protocol
import Synchronization

/// The storage node as a process that may restart: a client that is replaced by a new one once its
/// connection has closed. Runners and the coordinator keep running while the node restarts and carry
/// on with the new connection as soon as it answers, instead of exiting and being restarted themselves.
public final class StorageConnection: Sendable {
    public let endpoint: Endpoint
    private let instanceSecret: [UInt8]
    private let retryInterval: Duration
    private let state = Mutex<State>(State())

    private struct State {
        var client: StorageClient?
        /// The dialing under way, which every caller waiting for a connection shares.
        var dialing: Task<Result<StorageClient, Error>?, Never>?
        /// Why the last attempt to dial failed, for the error of a caller that gave up waiting.
        var lastFailure: String?
        /// Set by `close()`: no client is dialed or kept after it.
        var closed = false
    }

    /// `retryInterval` is the pause between attempts to dial a node that does not answer yet.
    public init(endpoint: Endpoint, instanceSecret: [UInt8], retryInterval: Duration = .milliseconds(50)) {
        self.endpoint = endpoint
        self.instanceSecret = instanceSecret
        self.retryInterval = retryInterval
    }

    /// The open client, or the next one: dials until the node answers, giving up on waiting (the
    /// dialing goes on for the next caller) after `timeout`. A node that refuses the instance secret
    /// fails the call at once: that is a configuration to fix, not a restart to wait out.
    public func client(timeout: Duration = .seconds(30)) async throws -> StorageClient {
        if let client = current() { return client }
        guard let dialing = startDialing() else { throw StorageConnectionError.closed(endpoint.description) }
        // Whichever comes first, the connection or the deadline; the dialing is not waited for after
        // the deadline (a task group would wait for it: awaiting a task's value ignores cancellation).
        let outcome = FirstOf<Result<StorageClient, Error>?>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.onFirst { result in
                switch result {
                case .success(let client)?: continuation.resume(returning: client)
                case .failure(let error)?: continuation.resume(throwing: error)
                case nil where self.isClosed:
                    continuation.resume(throwing: StorageConnectionError.closed(self.endpoint.description))
                case nil:
                    let why = self.lastFailure().map { " (last attempt: \($0))" } ?? ""
                    continuation.resume(throwing: StorageConnectionError.unavailable("the storage node at \(self.endpoint) did not answer within \(timeout)\(why)"))
                }
            }
            Task { outcome.offer(await dialing.value) }
            Task {
                try? await Task.sleep(for: timeout)
                outcome.offer(nil)
            }
        }
    }

    /// `body` with the open client. When the connection is lost under it (`body` threw, or `lost`
    /// says its result is a failure, and the client has closed), it runs again on the next connection,
    /// told that it lost one (`lostOne`), until `timeout` has passed since the first call; then this
    /// throws `StorageConnectionError.unavailable`. For requests that may be repeated, and for a
    /// mutation, which looks for its outcome before it runs again.
    public func withClient<T>(timeout: Duration, lost: (T) -> Bool = { _ in false },
                              _ body: (StorageClient, _ lostOne: Bool) async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var lostOne = false
        while true {
            let client: StorageClient
            do {
                client = try await self.client(timeout: max(.zero, deadline - .now))
            } catch let error as StorageConnectionError {
                throw error
            } catch {
                throw StorageConnectionError.unavailable("\(error)")
            }
            do {
                let result = try await body(client, lostOne)
                guard lost(result), !client.isOpen else { return result }
            } catch {
                guard !client.isOpen else { throw error }
            }
            lostOne = true
            guard ContinuousClock.now < deadline else {
                throw StorageConnectionError.unavailable("the connection to the storage node at \(endpoint) was lost and not back within \(timeout)")
            }
        }
    }

    /// The next open client, however long the node takes to answer (or to be given the right
    /// secret); nil once closed.
    public func nextClient() async -> StorageClient? {
        if let client = current() { return client }
        while true {
            guard let dialing = startDialing() else { return nil }
            switch await dialing.value {
            case .success(let client): return client
            case .failure: try? await Task.sleep(for: retryInterval * 20)
            case nil: return nil
            }
        }
    }

    /// The client if its connection is open.
    public func current() -> StorageClient? {
        state.withLock { state in
            guard let client = state.client, client.isOpen else { return nil }
            return client
        }
    }

    /// Closes the current client and cancels a dial in progress; from now on no client is dialed, and
    /// one a dial already under way opens is closed at once.
    public func close() async {
        let client = state.withLock { state -> StorageClient? in
            state.closed = true
            state.dialing?.cancel()
            defer { state.client = nil }
            return state.client
        }
        await client?.close()
    }

    private var isClosed: Bool {
        state.withLockAfterAwait { $0.closed }
    }

    /// The dialing under way or a new one; nil once closed.
    private func startDialing() -> Task<Result<StorageClient, Error>?, Never>? {
        state.withLock { state in
            guard !state.closed else { return nil }
            if let dialing = state.dialing { return dialing }
            let dialing = Task { await self.dialUntilConnected() }
            state.dialing = dialing
            return dialing
        }
    }

    /// Nil once cancelled by `close()`; a failure if the node refused the handshake.
    private func dialUntilConnected() async -> Result<StorageClient, Error>? {
        while !Task.isCancelled {
            do {
                let client = try await StorageClient.connect(to: endpoint, instanceSecret: instanceSecret)
                guard store(client) else {
                    await client.close()
                    return nil
                }
                return .success(client)
            } catch ProtocolError.handshakeFailed(let why) {
                let error = ProtocolError.handshakeFailed(why)
                noteFailure(error, endingDialing: true)
                return .failure(error)
            } catch {
                noteFailure(error)
            }
            try? await Task.sleep(for: retryInterval)
        }
        return nil
    }

    // The three below lock after an `await` in their callers.
    private func lastFailure() -> String? {
        state.withLockAfterAwait { $0.lastFailure }
    }

    private func noteFailure(_ error: Error, endingDialing: Bool = false) {
        state.withLockAfterAwait { state in
            state.lastFailure = "\(error)"
            if endingDialing { state.dialing = nil }
        }
    }

    /// Keeps a new client; false (and keeps nothing) once closed.
    private func store(_ client: StorageClient) -> Bool {
        state.withLockAfterAwait { state in
            state.dialing = nil
            guard !state.closed else { return false }
            state.client = client
            return true
        }
    }
}

/// Why a `StorageConnection` call gave up on the storage node.
public enum StorageConnectionError: Error, Equatable, CustomStringConvertible {
    /// The storage node could not be reached in time. For a mutation the outcome is then unknown: an
    /// attempt may have committed before the connection was lost.
    case unavailable(String)
    /// `close()` was called: the connection is not dialed again.
    case closed(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return why
        case .closed(let endpoint): return "the connection to the storage node at \(endpoint) was closed"
        }
    }
}

/// The first of several racing answers, handed once to its consumer; later ones are dropped.
private final class FirstOf<Answer: Sendable>: Sendable {
    private let state = Mutex<(consumer: (@Sendable (Answer) -> Void)?, done: Bool)>((nil, false))

    func onFirst(_ consumer: @escaping @Sendable (Answer) -> Void) {
        state.withLock { $0.consumer = consumer }
    }

    func offer(_ answer: Answer) {
        let consumer = state.withLock { state -> (@Sendable (Answer) -> Void)? in
            guard !state.done else { return nil }
            state.done = true
            return state.consumer
        }
        consumer?(answer)
    }
}
