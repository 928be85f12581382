import NIOCore

/// The requests one side of a connection has sent and awaits answers to, by request ID. Each side
/// numbers its own requests. An answer to an ID that waits for none means the peer is broken (the
/// owner closes the connection); once the connection has failed, every waiting request fails with
/// its error and so does every later one. Confined to the channel's event loop.
public struct PendingRequests<Answer: Sendable> {
    private var waiting: [UInt64: EventLoopPromise<Answer>] = [:]
    private var failure: Error?

    public init() {}

    /// Waits for the answer to request `id`. False, and `promise` failed, once the connection has failed.
    public mutating func expect(_ id: UInt64, _ promise: EventLoopPromise<Answer>) -> Bool {
        if let failure {
            promise.fail(failure)
            return false
        }
        waiting[id] = promise
        return true
    }

    /// The promise waiting for request `id`, no longer waiting; nil if none waits.
    public mutating func answered(_ id: UInt64) -> EventLoopPromise<Answer>? {
        waiting.removeValue(forKey: id)
    }

    /// The connection failed: fails every waiting request and every later one with `error`.
    public mutating func fail(_ error: Error) {
        guard failure == nil else { return }
        failure = error
        let failed = waiting.values
        waiting = [:]
        for promise in failed { promise.fail(error) }
    }

    /// Requests still waiting for an answer.
    public var count: Int { waiting.count }
}
