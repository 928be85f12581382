import Logging
import Protocol
import Synchronization

/// The storage node's request handling: reads at a timestamp, commits, catalog changes and
/// subscriptions, on top of the committer and persistence. Network-free; `StorageServer` puts it on sockets.
public final class StorageNode: Sendable {
    let persistence: any Persistence
    let committer: Committer
    let configuration: StorageNodeConfiguration
    private let logger: Logger
    /// The running backfill of each index being built, with the timestamp it reads at. One per index,
    /// shared by every caller waiting for that index; retention keeps their snapshots readable.
    private let backfills = Mutex<[IndexID: (task: Task<IndexInfo, Error>, ts: Timestamp)]>([:])
    private let retentionRunning = Atomic<Bool>(false)

    private init(persistence: any Persistence, committer: Committer, configuration: StorageNodeConfiguration, logger: Logger) {
        self.persistence = persistence
        self.committer = committer
        self.configuration = configuration
        self.logger = logger
    }

    /// Recovers state from persistence: the last timestamp, the catalog and retention progress; then
    /// resumes what a crash interrupted (index backfills, deletion of dropped indexes' entries).
    public static func open(persistence: any Persistence, configuration: StorageNodeConfiguration = .init(),
                            logger: Logger = Logger(label: "converge.storage")) async throws -> StorageNode {
        let highWater = try await persistence.global(Committer.highWaterGlobal).map(GlobalValue.decode) ?? 0
        let lastTs = max(try await persistence.maxTimestamp() ?? 0, highWater)
        var catalog = CatalogState()
        for document in try await scanAll(persistence, index: CatalogState.tablesByID, at: lastTs) {
            catalog.addTable(try CatalogState.table(from: document.value), document: document)
        }
        for document in try await scanAll(persistence, index: CatalogState.indexesByID, at: lastTs) {
            catalog.putIndex(try CatalogState.index(from: document.value), document: document)
        }
        let storedMaxIndexID = try await persistence.global(Committer.maxIndexIDGlobal).map(GlobalValue.decode) ?? 0
        let committer = Committer(
            persistence: persistence, catalog: catalog, catalogTs: catalog.latestChangeTs, lastTs: lastTs,
            maxIndexID: max(storedMaxIndexID, catalog.nextIndexID - 1), oldestReadableTs: try await persistence.retentionProgress(),
            configuration: configuration, logger: logger)
        let node = StorageNode(persistence: persistence, committer: committer, configuration: configuration, logger: logger)
        for index in catalog.indexes.values where index.state == .backfilling {
            logger.info("resuming backfill of index \(index.name)")
            _ = node.backfill(index, at: catalog.indexDocuments[index.id]?.ts ?? lastTs)
        }
        for index in try await persistence.pendingIndexDeletions() {
            try await persistence.deleteIndex(index)
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

    // MARK: Requests

    /// The answer to a request that needs no waiting (the latest timestamp), or nil: the connection
    /// answers these on its event loop instead of starting a task.
    public func answerAtOnce(_ request: StorageRequest) -> StorageResponse? {
        guard case .latestTimestamp = request else { return nil }
        return .timestamp(committer.bounds.publishedTs, catalogTs: committer.catalogChangeTs)
    }

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
            return answerAtOnce(request)!
        case .catalog:
            return .catalog(try await committer.durableCatalog())
        case .createTable(let name):
            return .table(try await committer.createTable(named: name))
        case let .createIndex(table, name, fields):
            return .index(try await createIndex(table: table, name: name, fields: fields))
        case let .dropIndex(table, name):
            let id = try await committer.dropIndex(table: table, name: name)
            // A backfill still writing entries for it must finish before they are deleted.
            if let running = backfills.withLock({ $0[id] }) { _ = await running.task.result }
            try await persistence.deleteIndex(id)
            return .done
        case let .get(ts, ids):
            return .documents(try await get(ids, at: ts))
        case .scan(let scan):
            return .scanPage(try await self.scan(scan))
        case .commit(let commit):
            return .commit(try await self.commit(commit))
        case .receipt(let key):
            return try await committer.earlierCommit(key).map(StorageResponse.commit) ?? .done
        case .subscribe(let subscription):
            try checkReadSetSize(subscription.readSet)
            let checkedThrough = try await committer.subscribe(connection: connection, subscription)
            return .timestamp(checkedThrough, catalogTs: committer.catalogChangeTs)
        case .unsubscribe(let ids):
            await committer.unsubscribe(connection: connection, ids: ids)
            return .done
        }
    }

    private func get(_ ids: [DocumentID], at ts: Timestamp) async throws -> [StoredDocument?] {
        guard ids.count <= configuration.limits.maxGetBatch else {
            throw StorageError(.limitExceeded, "at most \(configuration.limits.maxGetBatch) documents per get")
        }
        try committer.bounds.check(ts)
        let documents = try await persistence.documents(ids, at: ts)
        try committer.bounds.check(ts)
        let bytes = documents.reduce(0) { $0 + ($1?.value.size ?? 0) }
        guard bytes <= configuration.limits.maxResponseBytes else {
            throw StorageError(.limitExceeded, "\(bytes) bytes of documents, over the \(configuration.limits.maxResponseBytes) a response may carry; get fewer at once")
        }
        return documents
    }

    private func scan(_ request: ScanRequest) async throws -> ScanPage {
        guard request.limit > 0, request.limit <= configuration.limits.maxScanLimit else {
            throw StorageError(.limitExceeded, "scan limit must be 1...\(configuration.limits.maxScanLimit)")
        }
        try committer.bounds.check(request.ts)
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
        var entries = try await persistence.scan(index: request.index, interval: interval, order: request.order, at: request.ts, limit: request.limit)
        // Retention, or a drop of the index, may have run while we read: then the page may have gaps.
        try committer.bounds.check(request.ts)
        _ = try await committer.readableIndex(request.index, at: request.ts)
        var more = entries.count == request.limit
        var bytes = 0
        if let cut = entries.firstIndex(where: { bytes += $0.document.value.size; return bytes > configuration.limits.maxResponseBytes }) {
            entries.removeSubrange(max(cut, 1)...)
            more = true
        }
        return ScanPage(entries: entries, cursor: more ? entries.last?.key : nil)
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
        guard let beginTs = request.beginTs else {
            // A transaction that never read: it has nothing to validate, and nothing else it could write.
            guard request.readSet.count == 0, request.writes.allSatisfy(\.isInsert) else {
                throw StorageError(.badRequest, "a commit without a begin timestamp may only insert new documents")
            }
            return try await committer.commit(request, previous: request.writes.map { _ in nil })
        }
        try committer.bounds.check(beginTs)
        // New documents have fresh random IDs: only the others can have an earlier version to read.
        let updated = request.writes.filter { !$0.isInsert }.map(\.id)
        var stored = try await updated.isEmpty ? [] : persistence.documents(updated, at: beginTs)
        stored.reverse()
        let previous = request.writes.map { $0.isInsert ? nil : stored.popLast()! }
        try committer.bounds.check(beginTs)
        return try await committer.commit(request, previous: previous)
    }

    private func checkReadSetSize(_ readSet: ReadSet) throws {
        guard readSet.count <= configuration.limits.maxReadIntervals else {
            throw StorageError(.limitExceeded, "\(readSet.count) read intervals, over the limit of \(configuration.limits.maxReadIntervals)")
        }
    }

    // MARK: Indexes

    private func createIndex(table: String, name: String, fields: [String]) async throws -> IndexInfo {
        let (index, ts) = try await committer.beginIndex(table: table, name: name, fields: fields)
        if index.state == .ready {
            try await committer.waitUntilPublished(ts)
            return index
        }
        return try await backfill(index, at: ts).value
    }

    /// The backfill of `index`, started if none is running.
    private func backfill(_ index: IndexInfo, at ts: Timestamp) -> Task<IndexInfo, Error> {
        backfills.withLock { running in
            if let existing = running[index.id] { return existing.task }
            let task = Task {
                defer { _ = self.backfills.withLock { $0.removeValue(forKey: index.id) } }
                do {
                    return try await self.backfillAndFinish(index, at: ts)
                } catch {
                    self.logger.error("backfill of index \(index.name) failed", metadata: ["error": "\(error)"])
                    throw error
                }
            }
            running[index.id] = (task, ts)
            return task
        }
    }

    /// Writes an entry for every document of the table as of `ts`, the timestamp of the index's catalog
    /// document; commits after it maintain the index themselves. Entries carry their document version's
    /// timestamp, so the order of these writes and later commits does not matter.
    private func backfillAndFinish(_ index: IndexInfo, at ts: Timestamp) async throws -> IndexInfo {
        try await committer.waitUntilPublished(ts)
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
    /// Returns the number of rows deleted. One pass runs at a time; a call during another does nothing.
    @discardableResult
    public func runRetention() async throws -> Int {
        guard retentionRunning.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return 0 }
        defer { retentionRunning.store(false, ordering: .releasing) }
        let now = TimestampOracle.now()
        guard now > configuration.retentionWindowNanos else { return 0 }
        // Never past the published timestamp (commits above it may be on disk already, and reads at
        // the published timestamp still need the versions they supersede), nor past a running backfill's snapshot.
        var cutoff = min(now - configuration.retentionWindowNanos, committer.bounds.publishedTs)
        if let oldestBackfill = backfills.withLock({ $0.values.map(\.ts).min() }) { cutoff = min(cutoff, oldestBackfill) }
        committer.bounds.raiseOldestReadable(to: cutoff)
        let receiptCutoff = now - min(now, configuration.receiptRetentionNanos)
        var deleted = 0
        while true {
            let receipts = try await persistence.deleteReceipts(before: receiptCutoff, limit: configuration.receiptRetentionChunk)
            deleted += receipts
            if receipts < configuration.receiptRetentionChunk { break }
        }
        while true {
            let progress = try await persistence.deleteVersions(upTo: cutoff, maxVersions: configuration.retentionChunk)
            deleted += progress.deletedRows
            if progress.processedThrough >= cutoff { return deleted }
        }
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

    /// Rows in persistence's document log and index entries (for tests and metrics).
    public func rowCounts() async throws -> (documents: Int, indexEntries: Int) {
        try await persistence.rowCounts()
    }

    /// Closes the persistence under the node.
    public func close() async throws {
        try await persistence.close()
    }
}
