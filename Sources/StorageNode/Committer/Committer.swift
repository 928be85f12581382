import FaultInjection
import Logging
import Protocol
import Synchronization

/// The single writer. Validates transactions one at a time against the write log (optimistic
/// concurrency control), assigns commit timestamps, writes many validated commits to persistence in
/// one durable batch (group commit), and only then publishes them: acknowledges, advances the
/// readable timestamp and fires the subscriptions they invalidate.
///
/// Validation is synchronous on the actor; the only suspension is the durable write, during which
/// the next commits validate against the ones in flight (they are in the write log already).
actor Committer {
    private let persistence: any Persistence
    private let logger: Logger
    private let onPersistenceFailure: (@Sendable (Error) -> Void)?
    /// The catalog as of the newest validated commit, possibly not yet durable; see `durableCatalog()`.
    private(set) var catalog: CatalogState
    /// The timestamp of the newest catalog change.
    private var catalogTs: Timestamp {
        didSet { catalogChange.store(catalogTs, ordering: .releasing) }
    }
    /// `catalogTs`, readable without waiting for the actor: every transaction's begin asks for it.
    private nonisolated let catalogChange: Atomic<Timestamp>
    private var writeLog: WriteLog
    private var oracle: TimestampOracle
    nonisolated let bounds: ReadBounds
    private var queue: [PendingCommit] = []
    private var flushing = false
    private var failure: StorageError?
    private var publishWaiters: [(ts: Timestamp, continuation: CheckedContinuation<Void, Error>)] = []
    private var subscriptions = SubscriptionRegistry()
    nonisolated let sinks = InvalidationSinks()
    /// The newest timestamp pushed to each connection that has subscribed (see `Invalidation`).
    private var watermarks: [UInt64: Timestamp] = [:]
    /// Durable persistence writes so far; fewer than commits when group commit batches them.
    private(set) var durableWrites = 0
    /// The highest index ID ever handed out, so a dropped index's ID is never reused.
    private var maxIndexID: IndexID
    private var recentReceipts = RecentReceipts()
    private var contention = ContentionQueue()
    /// Commits waiting for a claim ahead of them to go, by the claim's token.
    private var claimWaiters: [UInt64: [CheckedContinuation<Void, Never>]] = [:]
    /// How long a transaction's claim holds (see `ContentionQueue`) without its next attempt.
    static let claimLease: Timestamp = 500_000_000

    private struct PendingCommit {
        var ts: Timestamp
        var writes: PendingWrites
        var globals: [String: [UInt8]]
        var receipt: StoredReceipt?
        var continuation: CheckedContinuation<Timestamp, Error>
    }

    static let maxIndexIDGlobal = "catalog.max_index_id"
    /// The newest commit timestamp, written with every batch: a commit may leave no document row
    /// (no writes, or a deletion retention has since removed), and timestamps must still never go back.
    static let highWaterGlobal = "timestamp.high_water"

    init(persistence: any Persistence, catalog: CatalogState, catalogTs: Timestamp, lastTs: Timestamp, maxIndexID: IndexID,
         oldestReadableTs: Timestamp, configuration: StorageNodeConfiguration, logger: Logger) {
        self.persistence = persistence
        self.onPersistenceFailure = configuration.onPersistenceFailure
        self.catalog = catalog
        self.catalogTs = catalogTs
        catalogChange = Atomic(catalogTs)
        self.logger = logger
        self.maxIndexID = maxIndexID
        oracle = TimestampOracle(after: lastTs)
        bounds = ReadBounds(published: lastTs, oldestReadable: oldestReadableTs)
        writeLog = WriteLog(startTs: lastTs, maxAgeNanos: configuration.writeLogMaxAgeNanos, maxBytes: configuration.writeLogMaxBytes)
    }

    private var publishedTs: Timestamp { bounds.publishedTs }

    // MARK: Transactions

    /// Validates and commits. `previous` holds each written document as of `beginTs` (nil if absent);
    /// the conflict check makes that the latest version, because every written ID counts as read.
    func commit(_ request: CommitRequest, previous: [StoredDocument?]) async throws -> CommitResult {
        try checkHealthy()
        if let receipt = request.receipt, let earlier = try await earlierCommit(receipt.key, lookOnDisk: receipt.isRetry) { return earlier }
        // From here to the enqueue nothing suspends, so no second commit under the same key can slip in.
        // A transaction that never read validates its (new) written IDs against what is not yet published.
        let beginTs = request.beginTs ?? publishedTs
        try checkBeginTimestamp(beginTs)
        // A read of an index dropped since cannot be validated: writes no longer maintain it.
        for index in request.readSet.intervals.keys where catalog.indexes[index] == nil {
            guard let table = catalog.droppedIndexTables[index] else { throw StorageError(.badRequest, "no index \(index)") }
            return .conflict(table: table)
        }
        var reads = request.readSet
        for write in request.writes {
            let byID = try userTableByIDIndex(write.id.tableNumber)
            reads.add(.point(IndexInfo.byIDKey(write.id)), index: byID.id)
        }
        let readSet = KeyIntervalSet(reads)
        if let (table, lastTs) = writeLog.firstConflict(after: beginTs, readSet: readSet) {
            if let priority = request.priority { contention.claim(priority, reads: readSet, until: TimestampOracle.now() + Self.claimLease) }
            // Run again only once the commit it lost to is readable, and no older transaction that
            // conflicted is still to write what this one writes: sooner, it would lose again.
            try await waitUntilPublished(lastTs)
            // (The keys are at no particular timestamp; only the commit below takes one.)
            let keys = contention.isEmpty ? [] : pendingWrites(request.writes, previous: previous, ts: 0).keys
            await waitForTurn(request.priority, writing: keys)
            return .conflict(table: tableName(table))
        }
        for (write, prev) in zip(request.writes, previous) where write.value == nil && prev == nil {
            throw StorageError(.notFound, "cannot delete \(write.id): no such document")
        }
        let ts = oracle.next()
        let pending = pendingWrites(request.writes, previous: previous, ts: ts)
        let now = TimestampOracle.now()
        if let blocker = contention.blocker(of: request.priority, writing: pending.keys, now: now) {
            // An older transaction that conflicted read what this writes: it goes first, this joins
            // the line behind it. (The timestamp taken stays unused.)
            if let priority = request.priority { contention.claim(priority, reads: readSet, until: now + Self.claimLease) }
            let table = pending.keys.first { blocker.reads.contains(index: $0.index, key: $0.key) }?.table
            await waitForTurn(request.priority, writing: pending.keys)
            return .conflict(table: table.map(tableName) ?? "")
        }
        let receipt = request.receipt.map { StoredReceipt(key: $0.key.bytes, ts: ts, outcome: $0.outcome) }
        // Its claim holds until the commit is readable, so those behind it do not run before they can see it.
        defer { if let token = request.priority?.token { releaseClaim(token) } }
        return .committed(try await enqueue(ts: ts, pending, receipt: receipt))
    }

    /// The versions, index entries and written keys of `writes` at `ts`.
    private func pendingWrites(_ writes: [DocumentWrite], previous: [StoredDocument?], ts: Timestamp) -> PendingWrites {
        var pending = PendingWrites()
        for (write, prev) in zip(writes, previous) {
            pending.add(write, previous: prev, ts: ts, indexes: catalog.indexes(ofTable: write.id.tableNumber))
        }
        return pending
    }

    private func tableName(_ number: UInt32) -> String {
        catalog.tables[number]?.name ?? "table \(number)"
    }

    // MARK: Contention

    /// Returns when no live claim older than `priority` (any, without one) covers a key of `keys`.
    private func waitForTurn(_ priority: CommitPriority?, writing keys: [WriteLog.WrittenKey]) async {
        while let blocker = contention.blocker(of: priority, writing: keys, now: TimestampOracle.now()) {
            await waitForRelease(of: blocker)
        }
    }

    /// Returns when the claim is released or has lapsed.
    private func waitForRelease(of claim: ContentionQueue.Claim) async {
        let token = claim.priority.token
        await withCheckedContinuation { continuation in
            let first = claimWaiters[token] == nil
            claimWaiters[token, default: []].append(continuation)
            if first { expireClaims(at: claim.expires, now: TimestampOracle.now()) }
        }
    }

    /// Runs `expireClaims` just after `expires`.
    private func expireClaims(at expires: Timestamp, now: Timestamp) {
        let wait = Duration.nanoseconds(Int64(expires > now ? expires - now : 0)) + .milliseconds(1)
        Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.expireClaims()
        }
    }

    private func releaseClaim(_ token: UInt64) {
        contention.release(token)
        for waiter in claimWaiters.removeValue(forKey: token) ?? [] { waiter.resume() }
    }

    /// Drops lapsed claims and lets their waiters go; a claim renewed meanwhile keeps its waiters,
    /// who are let go when it is released or lapses in turn.
    private func expireClaims() {
        let now = TimestampOracle.now()
        for token in contention.expire(now: now) {
            for waiter in claimWaiters.removeValue(forKey: token) ?? [] { waiter.resume() }
        }
        if let next = claimWaiters.keys.compactMap({ contention.claims[$0]?.expires }).min() {
            expireClaims(at: next, now: now)
        }
    }

    /// What an earlier commit under `key` left, if there was one: among recent commits (some maybe not
    /// yet durable), else, with `lookOnDisk`, on disk. A first attempt's fresh random key can only be
    /// among recent commits (a concurrent repeat), so it skips the disk read.
    func earlierCommit(_ key: IdempotencyKey, lookOnDisk: Bool = true) async throws -> CommitResult? {
        recentReceipts.evict(now: TimestampOracle.now())
        if let ts = recentReceipts[key.bytes] { return try await storedReceipt(key.bytes, committedAt: ts) }
        if lookOnDisk, let stored = try await persistence.receipt(key: key.bytes) {
            // It may be on disk in a batch not yet published; answer only once it is.
            try await waitUntilPublished(stored.ts)
            return .alreadyCommitted(ts: stored.ts, outcome: stored.outcome)
        }
        // Another attempt under this key may have validated while we looked.
        if let ts = recentReceipts[key.bytes] { return try await storedReceipt(key.bytes, committedAt: ts) }
        return nil
    }

    private func storedReceipt(_ key: [UInt8], committedAt ts: Timestamp) async throws -> CommitResult {
        try await waitUntilPublished(ts)
        guard let stored = try await persistence.receipt(key: key) else {
            throw StorageError(.internalError, "the receipt of the commit at \(ts) is missing")
        }
        return .alreadyCommitted(ts: stored.ts, outcome: stored.outcome)
    }

    private func checkBeginTimestamp(_ beginTs: Timestamp) throws {
        guard beginTs <= publishedTs else {
            throw StorageError(.badRequest, "begin timestamp \(beginTs) is after the latest timestamp \(publishedTs)")
        }
        guard beginTs >= writeLog.startTs else {
            throw StorageError(.timestampTooOld, "transaction began at \(beginTs), before the write log's start \(writeLog.startTs); retry")
        }
    }

    private func userTableByIDIndex(_ table: UInt32) throws -> IndexInfo {
        guard table >= TableNumber.firstUser, catalog.tables[table] != nil, let byID = catalog.byIDIndex(ofTable: table) else {
            throw StorageError(.notFound, "no user table with number \(table)")
        }
        return byID
    }

    private func checkHealthy() throws {
        if let failure { throw failure }
    }

    // MARK: Group commit

    private func enqueue(ts: Timestamp, _ pending: PendingWrites, globals: [String: [UInt8]] = [:],
                         receipt: StoredReceipt? = nil) async throws -> Timestamp {
        writeLog.append(ts: ts, keys: pending.keys)
        if let receipt { recentReceipts.insert(receipt.key, ts: ts) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.append(PendingCommit(ts: ts, writes: pending, globals: globals, receipt: receipt, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while let last = queue.last {
            let batch = queue
            queue = []
            var write = PersistenceBatch()
            for commit in batch {
                write.documents.append(contentsOf: commit.writes.versions)
                write.indexEntries.append(contentsOf: commit.writes.entries)
                write.droppedIndexes.append(contentsOf: commit.writes.droppedIndexes)
                write.globals.merge(commit.globals) { _, new in new }
                if let receipt = commit.receipt { write.receipts.append(receipt) }
            }
            write.globals[Self.highWaterGlobal] = GlobalValue.encode(last.ts)
            do {
                try await persistence.write(write)
                durableWrites += 1
                if !write.receipts.isEmpty { FaultPoint.storageAfterDurableWrite.reached() }
            } catch {
                fail(batch + queue, error)
                return
            }
            publish(batch)
        }
        flushing = false
    }

    /// The in-memory state is now ahead of the disk: stop accepting work. A restart recovers.
    private func fail(_ commits: [PendingCommit], _ error: Error) {
        logger.critical("durable write failed; refusing further commits", metadata: ["error": "\(error)"])
        let failure = StorageError(.unavailable, "the storage node could not write to persistence: \(error)")
        self.failure = failure
        for commit in commits { commit.continuation.resume(throwing: failure) }
        for waiter in publishWaiters { waiter.continuation.resume(throwing: failure) }
        publishWaiters = []
        queue = []
        flushing = false
        onPersistenceFailure?(error)
    }

    private func publish(_ batch: [PendingCommit]) {
        guard let last = batch.last else { return }
        bounds.publish(last.ts)
        // Every connection holding a subscription hears of the new timestamp, fired or not.
        var fired: [UInt64: [UInt64]] = [:]
        for connection in subscriptions.connections { fired[connection] = [] }
        for commit in batch {
            var hit = subscriptions.fire(for: commit.writes.keys)
            for index in commit.writes.droppedIndexes { hit.formUnion(subscriptions.fireAll(on: index)) }
            for key in hit { fired[key.connection, default: []].append(key.id) }
        }
        for (connection, ids) in fired { push(ids.sorted(), at: last.ts, to: connection) }
        for commit in batch { commit.continuation.resume(returning: commit.ts) }
        let ready = publishWaiters.filter { $0.ts <= last.ts }
        publishWaiters.removeAll { $0.ts <= last.ts }
        for waiter in ready { waiter.continuation.resume() }
        let now = TimestampOracle.now()
        writeLog.evict(now: now, keepFrom: queue.first?.ts ?? last.ts + 1)
        recentReceipts.evict(now: now)
    }

    /// Returns once every commit up to `ts` is durable and published.
    func waitUntilPublished(_ ts: Timestamp) async throws {
        try checkHealthy()
        if ts <= publishedTs { return }
        try await withCheckedThrowingContinuation { publishWaiters.append((ts, $0)) }
    }

    // MARK: Subscriptions

    func removeSubscriptions(connection: UInt64) {
        subscriptions.removeAll(connection: connection)
        watermarks[connection] = nil
    }

    private func push(_ ids: [UInt64], at ts: Timestamp, to connection: UInt64) {
        watermarks[connection] = ts
        sinks.push(Invalidation(subscriptionIDs: ids, ts: ts), to: connection)
    }

    /// Registers a read set taken at `request.ts`. If a published commit after that already touched it,
    /// the write log no longer reaches back that far, or it reads a dropped index, it fires at once.
    /// Returns the published timestamp it was checked through: the connection's stream has reached
    /// it before the answer goes out.
    @discardableResult
    func subscribe(connection: UInt64, _ request: SubscribeRequest) throws -> Timestamp {
        guard request.ts <= publishedTs else {
            throw StorageError(.badRequest, "subscription timestamp \(request.ts) is after the latest timestamp \(publishedTs)")
        }
        // A connection that has closed (its detach may have run first) gets nothing registered.
        guard sinks.isAttached(connection) else { return publishedTs }
        let key = SubscriptionRegistry.Key(connection: connection, id: request.id)
        let readSet = KeyIntervalSet(request.readSet)
        let missed = request.ts < writeLog.startTs
            || request.readSet.intervals.keys.contains { catalog.indexes[$0] == nil }
            || writeLog.entries(after: request.ts).contains { entry in
                entry.ts <= publishedTs && entry.keys.contains { readSet.contains(index: $0.index, key: $0.key) }
            }
        if missed {
            subscriptions.remove(key)
            push([request.id], at: publishedTs, to: connection)
        } else {
            subscriptions.register(key, readSet: request.readSet)
            if (watermarks[connection] ?? 0) < publishedTs { push([], at: publishedTs, to: connection) }
        }
        return publishedTs
    }

    func unsubscribe(connection: UInt64, ids: [UInt64]) {
        for id in ids { subscriptions.remove(.init(connection: connection, id: id)) }
    }

    var subscriptionCount: Int { subscriptions.count }

    // MARK: Catalog

    /// When the catalog last changed (the change may not be durable yet).
    nonisolated var catalogChangeTs: Timestamp { catalogChange.load(ordering: .acquiring) }

    /// The catalog with every change in it durable.
    func durableCatalog() async throws -> Catalog {
        let snapshot = catalog.snapshot
        try await waitUntilPublished(catalogTs)
        return snapshot
    }

    func createTable(named name: String) async throws -> TableInfo {
        try checkHealthy()
        if let existing = catalog.table(named: name) {
            // Its creation may still be on its way to disk: answer only once it is durable.
            try await waitUntilPublished(catalog.tableDocuments[existing.number]?.ts ?? 0)
            return existing
        }
        guard Value.isValidIdentifier(name), !name.hasPrefix("_") else {
            throw StorageError(.badRequest, "invalid table name \(name.debugDescription)")
        }
        let table = TableInfo(name: name, number: catalog.nextTableNumber)
        let ts = oracle.next()
        var pending = PendingWrites()
        var creationTime = Double(ts) / 1e6
        let tableID = DocumentID.generate(tableNumber: TableNumber.tables, nowMillis: creationTime)
        let tableDoc = CatalogState.tableDocument(table, id: tableID, creationTime: creationTime)
        pending.add(DocumentWrite(id: tableID, value: tableDoc), previous: nil, ts: ts, indexes: catalog.indexes(ofTable: TableNumber.tables))
        catalog.addTable(table, document: StoredDocument(id: tableID, ts: ts, value: tableDoc))
        for (offset, (indexName, field)) in [(IndexInfo.byID, "_id"), (IndexInfo.byCreationTime, "_creationTime")].enumerated() {
            creationTime = creationTime.nextUp
            let index = IndexInfo(id: maxIndexID + 1 + IndexID(offset), tableNumber: table.number, name: indexName, fields: [field], state: .ready)
            putIndexDocument(index, previous: nil, ts: ts, creationTime: creationTime, into: &pending)
        }
        maxIndexID += 2
        catalogTs = ts
        _ = try await enqueue(ts: ts, pending, globals: [Self.maxIndexIDGlobal: GlobalValue.encode(maxIndexID)])
        return table
    }

    /// Adds an index in the backfilling state: from this commit on, every write maintains it. Returns
    /// it with the timestamp of its catalog document, at which a backfill must read the table. An index
    /// of that name that exists already is returned as it is.
    func beginIndex(table tableName: String, name: String, fields: [String]) async throws -> (IndexInfo, Timestamp) {
        try checkHealthy()
        guard let table = catalog.table(named: tableName) else { throw StorageError(.notFound, "no table \(tableName.debugDescription)") }
        if let existing = catalog.index(table: table.number, name: name) {
            guard existing.fields == fields else {
                throw StorageError(.badRequest, "index \(name) on \(tableName) already exists with fields \(existing.fields)")
            }
            return (existing, catalog.indexDocuments[existing.id]?.ts ?? 0)
        }
        guard Value.isValidIdentifier(name), !name.hasPrefix("_"), name != IndexInfo.byID, name != IndexInfo.byCreationTime else {
            throw StorageError(.badRequest, "invalid index name \(name.debugDescription)")
        }
        guard !fields.isEmpty, fields.count <= 16, fields.allSatisfy(Value.isValidFieldPath) else {
            throw StorageError(.badRequest, "an index needs 1 to 16 field paths of valid field names, got \(fields)")
        }
        maxIndexID += 1
        let index = IndexInfo(id: maxIndexID, tableNumber: table.number, name: name, fields: fields, state: .backfilling)
        let ts = oracle.next()
        var pending = PendingWrites()
        putIndexDocument(index, previous: nil, ts: ts, creationTime: Double(ts) / 1e6, into: &pending)
        catalogTs = ts
        return (index, try await enqueue(ts: ts, pending, globals: [Self.maxIndexIDGlobal: GlobalValue.encode(maxIndexID)]))
    }

    /// Marks a backfilled index ready; reads at the returned timestamp and later may use it.
    func finishIndex(_ id: IndexID) async throws -> IndexInfo {
        try checkHealthy()
        guard var index = catalog.indexes[id], let document = catalog.indexDocuments[id] else {
            throw StorageError(.notFound, "index \(id) was dropped during its backfill")
        }
        if index.state == .ready { return index }
        index.state = .ready
        let ts = oracle.next()
        var pending = PendingWrites()
        guard case .float64(let creationTime)? = document.value["_creationTime"] else {
            throw StorageError(.internalError, "index document without _creationTime")
        }
        putIndexDocument(index, previous: document, ts: ts, creationTime: creationTime, into: &pending)
        catalogTs = ts
        _ = try await enqueue(ts: ts, pending)
        return index
    }

    /// Drops an index. Its entries stay on disk, marked for deletion in the same commit, until
    /// `Persistence.deleteIndex` removes them.
    func dropIndex(table tableName: String, name: String) async throws -> IndexID {
        try checkHealthy()
        guard let table = catalog.table(named: tableName), let index = catalog.index(table: table.number, name: name),
              let document = catalog.indexDocuments[index.id]
        else { throw StorageError(.notFound, "no index \(name) on table \(tableName)") }
        guard index.name != IndexInfo.byID, index.name != IndexInfo.byCreationTime else {
            throw StorageError(.badRequest, "the built-in index \(name) cannot be dropped")
        }
        let ts = oracle.next()
        var pending = PendingWrites()
        pending.add(DocumentWrite(id: document.id, value: nil), previous: document, ts: ts, indexes: catalog.indexes(ofTable: TableNumber.indexes))
        pending.droppedIndexes.append(index.id)
        catalog.removeIndex(index.id, tableName: tableName)
        catalogTs = ts
        _ = try await enqueue(ts: ts, pending)
        return index.id
    }

    /// The index, if reads of it at `ts` see every document: it is ready, and was ready by `ts`.
    func readableIndex(_ id: IndexID, at ts: Timestamp) throws -> IndexInfo {
        guard let index = catalog.indexes[id] else { throw StorageError(.notFound, "no index \(id)") }
        guard index.state == .ready else { throw StorageError(.badRequest, "index \(index.name) is still being backfilled") }
        // A table's built-in indexes read as empty before it existed; a later index was simply not there.
        let builtIn = index.name == IndexInfo.byID || index.name == IndexInfo.byCreationTime
        if !builtIn, let since = catalog.indexDocuments[id]?.ts, ts < since {
            throw StorageError(.timestampTooOld, "index \(index.name) became readable at \(since), after \(ts)")
        }
        return index
    }

    private func putIndexDocument(_ index: IndexInfo, previous: StoredDocument?, ts: Timestamp, creationTime: Double, into pending: inout PendingWrites) {
        let id = previous?.id ?? DocumentID.generate(tableNumber: TableNumber.indexes, nowMillis: creationTime)
        let value = CatalogState.indexDocument(index, id: id, creationTime: creationTime)
        pending.add(DocumentWrite(id: id, value: value), previous: previous, ts: ts, indexes: catalog.indexes(ofTable: TableNumber.indexes))
        catalog.putIndex(index, document: StoredDocument(id: id, ts: ts, value: value))
    }
}

/// The document versions, index entries and written keys of one commit.
struct PendingWrites {
    var versions: [DocumentVersion] = []
    var entries: [IndexEntry] = []
    var keys: [WriteLog.WrittenKey] = []
    var droppedIndexes: [IndexID] = []

    /// Every index of the table gets an entry at `ts`: a live one for the new key, and a deletion for the
    /// old key when the document left it. Both keys count as written for conflicts and subscriptions.
    mutating func add(_ write: DocumentWrite, previous: StoredDocument?, ts: Timestamp, indexes: [IndexInfo]) {
        versions.append(DocumentVersion(id: write.id, ts: ts, value: write.value, prevTs: previous?.ts))
        let table = write.id.tableNumber
        for index in indexes {
            let oldKey = previous.map { index.key(of: $0.value).bytes }
            let newKey = write.value.map { index.key(of: $0).bytes }
            if let oldKey, oldKey != newKey {
                entries.append(IndexEntry(index: index.id, key: oldKey, ts: ts, deleted: true, documentID: write.id))
                keys.append(.init(index: index.id, key: oldKey, table: table))
            }
            if let newKey {
                entries.append(IndexEntry(index: index.id, key: newKey, ts: ts, deleted: false, documentID: write.id))
                keys.append(.init(index: index.id, key: newKey, table: table))
            }
        }
    }
}
