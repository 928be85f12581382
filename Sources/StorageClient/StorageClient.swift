import Crypto
import NIOCore
import NIOPosix
import Protocol
import Synchronization

/// A connection to a storage node. Any number of requests may be in flight at once; each call
/// suspends until its own answer arrives. Invalidations of this connection's subscriptions arrive on
/// `invalidations`.
public final class StorageClient: Sendable {
    private let channel: Channel
    private let handler: StorageClientHandler
    private let writer: FrameWriter
    private let nextRequestID = Atomic<UInt64>(1)
    /// The catalog last fetched, with the change timestamp the node reported just before.
    private let cachedCatalog = Mutex<(changeTs: Timestamp, catalog: Catalog)?>(nil)
    /// Pushes for this connection's subscriptions, watermarks included; finishes when the connection ends.
    public let invalidations: AsyncStream<Invalidation>

    private init(channel: Channel, handler: StorageClientHandler, invalidations: AsyncStream<Invalidation>) {
        self.channel = channel
        writer = FrameWriter(channel: channel)
        self.handler = handler
        self.invalidations = invalidations
    }

    /// Dials `endpoint` and completes the handshake; throws if either fails.
    public static func connect(
        to endpoint: Endpoint, instanceSecret: [UInt8], maxFrameSize: Int = Frame.defaultMaxSize,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> StorageClient {
        let key = Handshake.connectionKey(instanceSecret: instanceSecret)
        let (stream, continuation) = AsyncStream.makeStream(of: Invalidation.self)
        let eventLoop = group.next()
        let handshake = eventLoop.makePromise(of: Void.self)
        let handler = StorageClientHandler(key: key, handshake: handshake, invalidations: continuation)
        let channel: Channel
        do {
            channel = try await FrameTransport.connect(to: endpoint, on: eventLoop, maxFrameSize: maxFrameSize, handler: handler)
        } catch {
            // No handler ever saw the handshake: settle its promise here (a node that is down is dialed again and again).
            handshake.fail(error)
            throw error
        }
        do {
            try await handshake.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return StorageClient(channel: channel, handler: handler, invalidations: stream)
    }

    /// Sends a request and waits for its answer; an `.error` answer is thrown as `StorageError`.
    public func request(_ request: StorageRequest) async throws -> StorageResponse {
        let id = nextRequestID.add(1, ordering: .relaxed).oldValue
        let promise = channel.eventLoop.makePromise(of: StorageResponse.self)
        let frame = request.frame(requestID: id)
        channel.eventLoop.execute { [handler, writer] in
            handler.send(frame, promise: promise, writer: writer)
        }
        let response = try await promise.futureResult.get()
        if case .error(let error) = response { throw error }
        return response
    }

    /// Closes the connection: requests in flight fail and `invalidations` finishes.
    public func close() async {
        try? await channel.close()
    }

    /// Whether the connection is still up; once it is not, every request fails. False already when a
    /// request fails because the connection did.
    public var isOpen: Bool { !handler.health.isFailed && channel.isActive }

    // MARK: Typed calls

    /// The newest published timestamp: every commit up to it is durable and readable.
    public func latestTimestamp() async throws -> Timestamp {
        guard case let .timestamp(ts, _) = try await request(.latestTimestamp) else { throw unexpected("latestTimestamp") }
        return ts
    }

    /// The latest published timestamp and the catalog to read there: the one this client fetched last,
    /// unless the node says the catalog changed since (one round trip instead of two).
    public func snapshot() async throws -> (ts: Timestamp, catalogChangeTs: Timestamp, catalog: Catalog) {
        guard case let .timestamp(ts, catalogTs) = try await request(.latestTimestamp) else { throw unexpected("latestTimestamp") }
        if let cached = lastCatalog, cached.changeTs == catalogTs { return (ts, catalogTs, cached.catalog) }
        let catalog = try await catalog()
        // Fetched after the answer above, so it has at least that change (maybe a newer one, which
        // only makes the next comparison miss).
        remember(catalog, changedAt: catalogTs)
        return (ts, catalogTs, catalog)
    }

    /// Keeps the catalog `snapshot()` fetched (after an `await`).
    private func remember(_ catalog: Catalog, changedAt ts: Timestamp) {
        cachedCatalog.withLockAfterAwait { $0 = (ts, catalog) }
    }

    /// The catalog `snapshot()` fetched last, with the change timestamp the node reported for it.
    public var lastCatalog: (changeTs: Timestamp, catalog: Catalog)? {
        cachedCatalog.withLock { $0 }
    }

    /// The node's catalog with every change in it durable; `lastCatalog` is left as it was.
    public func catalog() async throws -> Catalog {
        guard case .catalog(let catalog) = try await request(.catalog) else { throw unexpected("catalog") }
        return catalog
    }

    /// Creates the table with its built-in indexes, or returns the table of that name if it exists.
    public func createTable(_ name: String) async throws -> TableInfo {
        guard case .table(let table) = try await request(.createTable(name: name)) else { throw unexpected("createTable") }
        return table
    }

    /// Creates the index and returns once it is backfilled; an existing one with the same fields is returned.
    public func createIndex(table: String, name: String, fields: [String]) async throws -> IndexInfo {
        guard case .index(let index) = try await request(.createIndex(table: table, name: name, fields: fields)) else {
            throw unexpected("createIndex")
        }
        return index
    }

    /// Drops the index and deletes its entries before answering; built-in indexes cannot be dropped.
    public func dropIndex(table: String, name: String) async throws {
        guard case .done = try await request(.dropIndex(table: table, name: name)) else { throw unexpected("dropIndex") }
    }

    /// The documents at `ts`, in the order of `ids`; nil for one missing or deleted there.
    public func get(_ ids: [DocumentID], at ts: Timestamp) async throws -> [StoredDocument?] {
        guard case .documents(let docs) = try await request(.get(ts: ts, ids: ids)) else { throw unexpected("get") }
        return docs
    }

    /// One page; throws `StorageError` if `ts` is outside the readable range or the index is not ready by then.
    public func scan(_ scan: ScanRequest) async throws -> ScanPage {
        guard case .scanPage(let page) = try await request(.scan(scan)) else { throw unexpected("scan") }
        return page
    }

    /// A conflict is a result, not a throw: retry the transaction from a new snapshot.
    public func commit(_ commit: CommitRequest) async throws -> CommitResult {
        guard case .commit(let result) = try await request(.commit(commit)) else { throw unexpected("commit") }
        return result
    }

    /// The outcome of an earlier commit under `key`, if one happened.
    public func receipt(_ key: IdempotencyKey) async throws -> (ts: Timestamp, outcome: [UInt8])? {
        switch try await request(.receipt(key)) {
        case .done: return nil
        case let .commit(.alreadyCommitted(ts, outcome)): return (ts, outcome)
        default: throw unexpected("receipt")
        }
    }

    /// Returns the published timestamp the subscription was checked through: the connection's
    /// `invalidations` carry it (or a later one) ahead of this answer, after any invalidation it caused.
    @discardableResult
    public func subscribe(_ subscription: SubscribeRequest) async throws -> Timestamp {
        guard case .timestamp(let checkedThrough, _) = try await request(.subscribe(subscription)) else { throw unexpected("subscribe") }
        return checkedThrough
    }

    /// Drops these subscriptions of this connection; unknown IDs are ignored.
    public func unsubscribe(_ ids: [UInt64]) async throws {
        guard case .done = try await request(.unsubscribe(ids: ids)) else { throw unexpected("unsubscribe") }
    }

    private func unexpected(_ call: String) -> StorageClientError { .unexpectedResponse("for \(call)") }
}
