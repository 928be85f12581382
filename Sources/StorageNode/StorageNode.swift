import Logging
import Protocol

/// The storage node's request handling: reads at a timestamp, commits, catalog changes and
/// subscriptions, on top of the committer and persistence. Network-free; `StorageServer` puts it on sockets.
public final class StorageNode: Sendable {
    let persistence: any Persistence
    let committer: Committer
    let configuration: StorageNodeConfiguration
    private let logger: Logger

    private static let retentionGlobal = "retention.processed_through"

    private init(persistence: any Persistence, committer: Committer, configuration: StorageNodeConfiguration, logger: Logger) {
        self.persistence = persistence
        self.committer = committer
        self.configuration = configuration
        self.logger = logger
    }

    /// Recovers state from persistence: the last timestamp, the catalog and retention progress, and
    /// resumes index backfills a crash interrupted. Everything else lives in persistence already.
    public static func open(persistence: any Persistence, configuration: StorageNodeConfiguration = .init(),
                            logger: Logger = Logger(label: "converge.storage")) async throws -> StorageNode {
        let lastTs = try await persistence.maxTimestamp() ?? 0
        var catalog = CatalogState()
        for document in try await scanAll(persistence, index: 1, at: lastTs) {
            catalog.addTable(try CatalogState.table(from: document.value), document: document)
        }
        for document in try await scanAll(persistence, index: 3, at: lastTs) {
            catalog.putIndex(try CatalogState.index(from: document.value), document: document)
        }
        let storedMaxIndexID = try await persistence.global(Committer.maxIndexIDGlobal).map(decodeUInt64) ?? 0
        let maxIndexID = max(storedMaxIndexID, catalog.nextIndexID - 1)
        let retained = try await persistence.global(retentionGlobal).map(decodeUInt64) ?? 0
        let committer = Committer(
            persistence: persistence, catalog: catalog, lastTs: lastTs, maxIndexID: maxIndexID, minReadTs: retained,
            configuration: configuration, logger: logger)
        let node = StorageNode(persistence: persistence, committer: committer, configuration: configuration, logger: logger)
        for index in catalog.indexes.values where index.state == .backfilling {
            logger.info("resuming backfill of index \(index.name)")
            Task { try await node.backfillAndFinish(index, at: lastTs) }
        }
        return node
    }

    private static func scanAll(_ persistence: any Persistence, index: IndexID, at ts: Timestamp) async throws -> [StoredDocument] {
        var documents: [StoredDocument] = []
        var interval = KeyInterval.all
        while true {
            let page = try await persistence.scan(index: index, interval: interval, order: .ascending, at: ts, limit: 1000)
            documents.append(contentsOf: page.map(\.document))
            guard page.count == 1000, let last = page.last else { return documents }
            interval.start = last.key + [0]
        }
    }

    private static func decodeUInt64(_ bytes: [UInt8]) -> UInt64 {
        bytes.count == 8 ? bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } : 0
    }

    // MARK: Requests

    /// Answers one request from `connection`. Errors become `.error` responses; nothing here throws.
    public func handle(_ request: StorageRequest, connection: UInt64) async -> StorageResponse {
        do {
            return try await respond(to: request, connection: connection)
        } catch let error as StorageError {
            return .error(error)
        } catch let error as ValueError {
            return .error(StorageError(.badRequest, error.description))
        } catch {
            logger.error("request failed", metadata: ["error": "\(error)"])
            return .error(StorageError(.internalError, "\(error)"))
        }
    }

    private func respond(to request: StorageRequest, connection: UInt64) async throws -> StorageResponse {
        switch request {
        case .latestTimestamp:
            return .timestamp(await committer.publishedTs)
        case .catalog:
            return .catalog(await committer.catalog.snapshot)
        case .createTable(let name):
            return .table(try await committer.createTable(named: name))
        case let .createIndex(table, name, fields):
            return .index(try await createIndex(table: table, name: name, fields: fields))
        case let .dropIndex(table, name):
            let id = try await committer.dropIndex(table: table, name: name)
            try await persistence.deleteIndex(id)
            return .done
        case let .get(ts, ids):
            guard ids.count <= configuration.limits.maxGetBatch else {
                throw StorageError(.limitExceeded, "at most \(configuration.limits.maxGetBatch) documents per get")
            }
            try await committer.checkReadTimestamp(ts)
            return .documents(try await persistence.documents(ids, at: ts))
        case .scan(let scan):
            return .scanPage(try await self.scan(scan))
        case .commit(let commit):
            return .commit(try await self.commit(commit))
        case .subscribe(let subscription):
            try checkReadSetSize(subscription.readSet)
            try await committer.subscribe(connection: connection, subscription)
            return .done
        case .unsubscribe(let ids):
            await committer.unsubscribe(connection: connection, ids: ids)
            return .done
        }
    }

    private func scan(_ request: ScanRequest) async throws -> ScanPage {
        guard request.limit > 0, request.limit <= configuration.limits.maxScanLimit else {
            throw StorageError(.limitExceeded, "scan limit must be 1...\(configuration.limits.maxScanLimit)")
        }
        try await committer.checkReadTimestamp(request.ts)
        _ = try await committer.readableIndex(request.index, at: request.ts)
        var interval = request.interval
        if let cursor = request.cursor {
            // Continue strictly after the cursor key in scan order.
            switch request.order {
            case .ascending:
                let next = cursor + [0]
                if interval.start.lexicographicallyPrecedes(next) { interval.start = next }
            case .descending:
                if interval.end.map({ cursor.lexicographicallyPrecedes($0) }) ?? true { interval.end = cursor }
            }
        }
        if interval.isEmpty { return ScanPage(entries: [], cursor: nil) }
        let entries = try await persistence.scan(index: request.index, interval: interval, order: request.order, at: request.ts, limit: request.limit)
        return ScanPage(entries: entries, cursor: entries.count == request.limit ? entries.last?.key : nil)
    }

    private func commit(_ request: CommitRequest) async throws -> CommitResult {
        let limits = configuration.limits
        guard request.writes.count <= limits.maxWrites else {
            throw StorageError(.limitExceeded, "\(request.writes.count) writes, over the limit of \(limits.maxWrites)")
        }
        try checkReadSetSize(request.readSet)
        var bytes = 0
        var seen = Set<DocumentID>()
        for write in request.writes {
            guard seen.insert(write.id).inserted else { throw StorageError(.badRequest, "document \(write.id) is written twice") }
            guard let value = write.value else { continue }
            try value.validateDocument()
            guard case .string(write.id.description)? = value["_id"] else {
                throw StorageError(.badRequest, "document _id does not match the written ID \(write.id)")
            }
            bytes += value.size
        }
        guard bytes <= limits.maxWriteBytes else {
            throw StorageError(.limitExceeded, "\(bytes) bytes written, over the limit of \(limits.maxWriteBytes)")
        }
        try await committer.checkReadTimestamp(request.beginTs)
        let previous = try await persistence.documents(request.writes.map(\.id), at: request.beginTs)
        return try await committer.commit(request, previous: previous)
    }

    private func checkReadSetSize(_ readSet: ReadSet) throws {
        guard readSet.count <= configuration.limits.maxReadIntervals else {
            throw StorageError(.limitExceeded, "\(readSet.count) read intervals, over the limit of \(configuration.limits.maxReadIntervals)")
        }
    }

    // MARK: Indexes

    private func createIndex(table: String, name: String, fields: [String]) async throws -> IndexInfo {
        let (index, ts, exists) = try await committer.beginIndex(table: table, name: name, fields: fields)
        if exists && index.state == .ready { return index }
        return try await backfillAndFinish(index, at: ts)
    }

    /// Writes an entry for every document of the table as of `ts`; writes after `ts` maintain the index
    /// themselves. Entries carry their document version's timestamp, so the order of these writes and
    /// later commits does not matter.
    @discardableResult
    func backfillAndFinish(_ index: IndexInfo, at ts: Timestamp) async throws -> IndexInfo {
        guard let byID = await committer.catalog.byIDIndex(ofTable: index.tableNumber) else {
            throw StorageError(.notFound, "table of index \(index.name) is gone")
        }
        var interval = KeyInterval.all
        while true {
            let page = try await persistence.scan(index: byID.id, interval: interval, order: .ascending, at: ts, limit: 1000)
            let entries = page.map { entry in
                IndexEntry(index: index.id, key: index.key(of: entry.document.value).bytes, ts: entry.document.ts,
                           deleted: false, documentID: entry.document.id)
            }
            if !entries.isEmpty { try await persistence.writeIndexEntries(entries) }
            guard page.count == 1000, let last = page.last else { break }
            interval.start = last.key + [0]
        }
        return try await committer.finishIndex(index.id)
    }

    // MARK: Retention

    /// Deletes versions older than the retention window that are not the latest, in small transactions.
    /// Returns the number of rows deleted.
    @discardableResult
    public func runRetention() async throws -> Int {
        // Never past the published timestamp: commits above it may be on disk already, and reads
        // at the published timestamp still need the versions those commits supersede.
        let published = await committer.publishedTs
        let now = TimestampOracle.now()
        guard now > configuration.retentionWindowNanos else { return 0 }
        let cutoff = min(now - configuration.retentionWindowNanos, published)
        await committer.raiseMinReadTs(to: cutoff)
        var after = try await persistence.global(Self.retentionGlobal).map(Self.decodeUInt64) ?? 0
        var deleted = 0
        while after < cutoff {
            let progress = try await persistence.deleteVersions(after: after, upTo: cutoff, maxVersions: configuration.retentionChunk)
            deleted += progress.deletedRows
            after = progress.processedThrough
            var batch = PersistenceBatch()
            batch.globals[Self.retentionGlobal] = Committer.encode(after)
            try await persistence.write(batch)
        }
        return deleted
    }

    /// Runs retention every `retentionIntervalSeconds` until the task is cancelled.
    public func retentionLoop() async {
        while !Task.isCancelled {
            do {
                let deleted = try await runRetention()
                if deleted > 0 { logger.info("retention deleted \(deleted) old versions") }
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.retentionIntervalSeconds))
        }
    }

    // MARK: Connections

    /// Routes invalidations of `connection`'s subscriptions to `sink`. Call before handling its requests.
    public func attach(connection: UInt64, sink: @escaping @Sendable (Invalidation) -> Void) {
        committer.sinks.attach(connection, sink)
    }

    /// Forgets a closed connection and its subscriptions.
    public func detach(connection: UInt64) async {
        committer.sinks.detach(connection)
        await committer.removeSubscriptions(connection: connection)
    }

    public func rowCounts() async throws -> (documents: Int, indexEntries: Int) {
        try await persistence.rowCounts()
    }

    public func close() async throws {
        try await persistence.close()
    }
}
