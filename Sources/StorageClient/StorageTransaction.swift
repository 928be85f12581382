import Protocol

/// A read-write transaction against a storage node, as a function runner runs one: reads at a fixed
/// begin timestamp while recording what it read (misses included), buffers writes and reads them back
/// (in gets and in index scans), enforces Convex's per-transaction limits, then commits everything at
/// once. The commit fails with a conflict if anything it read changed.
public struct StorageTransaction {
    public let client: StorageClient
    /// Where reads happen; nil for a transaction begun with `beginAtFirstRead` that has not read yet.
    public private(set) var beginTs: Timestamp?
    /// Where table and index names resolve; with `beginAtFirstRead`, checked against the node at the first read.
    public let catalog: Catalog
    /// For a transaction not begun yet: the catalog change its catalog has, checked at the first read.
    private let catalogChangeTs: Timestamp?
    public let limits: TransactionLimits
    public private(set) var readSet = ReadSet()
    public private(set) var usage = TransactionUsage()
    private var writes: [DocumentID: Value?] = [:]
    private var writeOrder: [DocumentID] = []
    /// Documents this transaction created; deleting one again leaves no write at all.
    private var inserted = Set<DocumentID>()
    private var nextCreationTime: Double

    /// Begins at the latest timestamp, on `catalog` if given, else on the one `client.snapshot()` returns.
    public static func begin(_ client: StorageClient, catalog: Catalog? = nil, limits: TransactionLimits = .init()) async throws -> StorageTransaction {
        if let catalog { return StorageTransaction(client: client, beginTs: try await client.latestTimestamp(), catalog: catalog, limits: limits) }
        let snapshot = try await client.snapshot()
        return StorageTransaction(client: client, beginTs: snapshot.ts, catalog: snapshot.catalog, limits: limits)
    }

    /// A transaction that takes the latest timestamp at its first read, on the catalog this client
    /// fetched last: a mutation that only inserts never reads, and commits without a round trip to
    /// begin. If the catalog turns out to have changed by the first read, that read throws
    /// `StorageTransactionError.catalogChanged` and the function must run again.
    public static func beginAtFirstRead(_ client: StorageClient, now: Timestamp, limits: TransactionLimits = .init()) async throws -> StorageTransaction {
        guard let cached = client.lastCatalog else { return try await begin(client, limits: limits) }
        return StorageTransaction(client: client, beginTs: nil, catalog: cached.catalog, catalogChangeTs: cached.changeTs, creationTs: now, limits: limits)
    }

    /// Reads at `beginTs`; inserts' `_creationTime` (milliseconds) starts there too.
    public init(client: StorageClient, beginTs: Timestamp, catalog: Catalog, limits: TransactionLimits = .init()) {
        self.init(client: client, beginTs: beginTs, catalog: catalog, catalogChangeTs: nil, creationTs: beginTs, limits: limits)
    }

    private init(client: StorageClient, beginTs: Timestamp?, catalog: Catalog, catalogChangeTs: Timestamp?, creationTs: Timestamp,
                 limits: TransactionLimits) {
        self.client = client
        self.beginTs = beginTs
        self.catalog = catalog
        self.catalogChangeTs = catalogChangeTs
        self.limits = limits
        nextCreationTime = Double(creationTs) / 1e6
    }

    /// The begin timestamp, taken now if this transaction has not read yet.
    private mutating func readTs() async throws -> Timestamp {
        if let beginTs { return beginTs }
        let snapshot = try await client.snapshot()
        guard snapshot.catalogChangeTs == catalogChangeTs else { throw StorageTransactionError.catalogChanged }
        beginTs = snapshot.ts
        return snapshot.ts
    }

    /// Throws `StorageError` `.notFound` if the catalog has no such table.
    public func table(_ name: String) throws -> TableInfo {
        guard let table = catalog.table(named: name) else { throw StorageError(.notFound, "no table \(name)") }
        return table
    }

    /// Throws `StorageError` `.notFound` if the catalog has no such table or index.
    public func index(_ table: String, _ name: String) throws -> IndexInfo {
        guard let index = catalog.index(table: try self.table(table).number, name: name) else {
            throw StorageError(.notFound, "no index \(name) on \(table)")
        }
        return index
    }

    // MARK: Reads

    /// The document's value as this transaction sees it: its own write if any, else the stored one.
    public mutating func get(_ id: DocumentID) async throws -> Value? {
        if let written = writes[id] { return written }
        // An ID of a table this transaction's catalog does not know reads as missing, until a table is created.
        guard let table = catalog.table(number: id.tableNumber),
              let byID = catalog.index(table: table.number, name: IndexInfo.byID) else {
            try await recordTableCreationRead()
            return nil
        }
        let ts = try await readTs()
        try recordRead(.point(IndexInfo.byIDKey(id)), index: byID.id)
        let document = try await client.get([id], at: ts)[0]?.value
        try count(read: document?.size)
        return document
    }

    /// One page of an index range at the begin timestamp, with this transaction's own writes merged in.
    /// Pass the returned `cursor` back as `after` for the next page; `isDone` says the range is exhausted.
    /// Records the range actually covered (with a full page, only up to its last stored key).
    public mutating func scanPage(_ index: IndexInfo, _ interval: KeyInterval, order: ScanOrder = .ascending,
                                  limit: Int = 100, after cursor: [UInt8]? = nil) async throws -> TransactionPage {
        let page = try await client.scan(ScanRequest(ts: try await readTs(), index: index.id, interval: interval, order: order, limit: limit, cursor: cursor))
        var covered = interval
        if let cursor {
            switch order {
            case .ascending: covered.start = cursor + [0]
            case .descending: covered.end = cursor
            }
        }
        if page.cursor != nil, let last = page.entries.last?.key {
            switch order {
            case .ascending: covered.end = last + [0]
            case .descending: covered.start = last
            }
        }
        try recordRead(covered, index: index.id)
        // Each stored document's size is counted against the read limits and handed on with it.
        let sizes = page.entries.map(\.document.value.size)
        for size in sizes { try count(read: size) }

        // Stored entries of documents this transaction wrote are stale; its writes that land in the
        // covered range take their place.
        var entries = zip(page.entries, sizes).filter { writes[$0.0.document.id] == nil }.map { entry, size in
            TransactionPage.Entry(key: entry.key, document: entry.document.value, size: size)
        }
        for id in writeOrder where id.tableNumber == index.tableNumber {
            guard let value = writes[id] ?? nil else { continue }
            let key = index.key(of: value).bytes
            if covered.contains(key) { entries.append(TransactionPage.Entry(key: key, document: value, size: value.size)) }
        }
        entries.sort { order == .ascending ? $0.key.lexicographicallyPrecedes($1.key) : $1.key.lexicographicallyPrecedes($0.key) }
        return TransactionPage(entries: entries, cursor: page.cursor, isDone: page.cursor == nil)
    }

    /// The documents of an index range's first page (about `limit`), with this transaction's own writes
    /// merged in as `scanPage` does; each carries the transaction's read timestamp, not its version's.
    public mutating func scan(table: String, index name: String, _ interval: KeyInterval = .all,
                              order: ScanOrder = .ascending, limit: Int = 1000) async throws -> [StoredDocument] {
        let index = try self.index(table, name)
        let page = try await scanPage(index, interval, order: order, limit: limit)
        let ts = try await readTs()
        return page.entries.compactMap { entry in
            guard case .string(let text)? = entry.document["_id"], let id = DocumentID(text) else { return nil }
            return StoredDocument(id: id, ts: ts, value: entry.document)
        }
    }

    /// Records that this transaction relied on a table not existing: creating any table invalidates it.
    /// That is a read of the catalog, so the transaction begins here if it has not yet.
    public mutating func recordTableCreationRead() async throws {
        _ = try await readTs()
        guard let tables = catalog.index(table: TableNumber.tables, name: IndexInfo.byID) else { return }
        try recordRead(.all, index: tables.id)
    }

    private mutating func recordRead(_ interval: KeyInterval, index: IndexID) throws {
        readSet.add(interval, index: index)
        guard readSet.count <= limits.maxReadIntervals else {
            throw StorageError(.limitExceeded, "Too many reads in a single function execution (limit: \(limits.maxReadIntervals)). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.")
        }
    }

    /// Counts a document read, by its size; nil for a miss.
    private mutating func count(read size: Int?) throws {
        guard let size else { return }
        usage.documentsRead += 1
        usage.bytesRead += size
        guard usage.documentsRead <= limits.maxDocumentsRead else {
            throw StorageError(.limitExceeded, "Too many documents read in a single function execution (limit: \(limits.maxDocumentsRead)). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.")
        }
        guard usage.bytesRead <= limits.maxBytesRead else {
            throw StorageError(.limitExceeded, "Too many bytes read in a single function execution (limit: \(limits.maxBytesRead) bytes). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.")
        }
    }

    // MARK: Writes

    /// Buffers a new document and returns its ID.
    @discardableResult
    public mutating func insert(into table: String, _ fields: [String: Value]) throws -> DocumentID {
        let number = try self.table(table).number
        let id = DocumentID.generate(tableNumber: number, nowMillis: nextCreationTime)
        var document = fields
        document["_id"] = .string(id.description)
        document["_creationTime"] = .float64(nextCreationTime)
        nextCreationTime = nextCreationTime.nextUp
        try put(id, .object(document))
        inserted.insert(id)
        return id
    }

    /// Replaces a document's user fields, keeping its system fields.
    public mutating func replace(_ id: DocumentID, with fields: [String: Value]) async throws {
        guard case .object(let current)? = try await get(id) else { throw StorageError(.notFound, "no document \(id)") }
        var document = fields
        document["_id"] = current["_id"]
        document["_creationTime"] = current["_creationTime"]
        try put(id, .object(document))
    }

    public mutating func delete(_ id: DocumentID) async throws {
        guard try await get(id) != nil else { throw StorageError(.notFound, "no document \(id)") }
        if inserted.remove(id) != nil {
            usage.bytesWritten -= (writes.removeValue(forKey: id) ?? nil)?.size ?? 0
            writeOrder.removeAll { $0 == id }
            usage.documentsWritten = writeOrder.count
        } else {
            try put(id, nil)
        }
    }

    private mutating func put(_ id: DocumentID, _ value: Value?) throws {
        if let value { try value.validateDocument() }
        if let previous = writes.updateValue(value, forKey: id) {
            usage.bytesWritten -= previous?.size ?? 0
        } else {
            writeOrder.append(id)
        }
        usage.bytesWritten += value?.size ?? 0
        usage.documentsWritten = writeOrder.count
        guard usage.documentsWritten <= limits.maxDocumentsWritten else {
            throw StorageError(.limitExceeded, "Too many documents written in a single function execution (limit: \(limits.maxDocumentsWritten)).")
        }
        guard usage.bytesWritten <= limits.maxBytesWritten else {
            throw StorageError(.limitExceeded, "Too many bytes written in a single function execution (limit: \(limits.maxBytesWritten) bytes).")
        }
    }

    /// The writes as they are now, for a nested mutation (`ctx.runMutation` in a mutation) to go back
    /// to if it throws: as in Convex, a sub-transaction that fails undoes its writes; what it read
    /// stays read, since the caller's outcome may depend on it.
    public struct Savepoint {
        fileprivate let writes: [DocumentID: Value?]
        fileprivate let writeOrder: [DocumentID]
        fileprivate let inserted: Set<DocumentID>
        fileprivate let documentsWritten: Int
        fileprivate let bytesWritten: Int
    }

    public func savepoint() -> Savepoint {
        Savepoint(writes: writes, writeOrder: writeOrder, inserted: inserted, documentsWritten: usage.documentsWritten, bytesWritten: usage.bytesWritten)
    }

    public mutating func rollback(to savepoint: Savepoint) {
        writes = savepoint.writes
        writeOrder = savepoint.writeOrder
        inserted = savepoint.inserted
        usage.documentsWritten = savepoint.documentsWritten
        usage.bytesWritten = savepoint.bytesWritten
    }

    /// The buffered writes, in the order documents were first written: what `commit` sends.
    public var pendingWrites: [DocumentWrite] {
        writeOrder.map { DocumentWrite(id: $0, value: writes[$0]!, isInsert: inserted.contains($0)) }
    }

    /// Commits the writes. With a receipt, a commit under the same key that happened already is
    /// answered with its outcome instead. A transaction that never read commits without a begin
    /// timestamp: its writes are all inserts of new IDs, which nothing committed before can conflict with.
    public func commit(receipt: CommitReceipt? = nil, priority: CommitPriority? = nil) async throws -> CommitResult {
        try await client.commit(CommitRequest(beginTs: beginTs, readSet: readSet, writes: pendingWrites, receipt: receipt, priority: priority))
    }

    /// Commits the receipt alone, with what was read and none of the writes: a failed mutation's
    /// outcome, kept under its key. It is validated like any commit, so a failure decided on data that
    /// changed meanwhile conflicts and the mutation runs again.
    public func commitOutcomeOnly(receipt: CommitReceipt, priority: CommitPriority? = nil) async throws -> CommitResult {
        try await client.commit(CommitRequest(beginTs: beginTs, readSet: readSet, writes: [], receipt: receipt, priority: priority))
    }
}
