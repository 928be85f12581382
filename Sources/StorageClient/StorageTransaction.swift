import Protocol

/// A read-write transaction against a storage node, as a function runner runs one: reads at a fixed
/// begin timestamp while recording what it read (misses included), buffers writes and reads them back,
/// then commits everything at once. The commit fails with a conflict if anything it read changed.
public struct StorageTransaction {
    public let client: StorageClient
    public let beginTs: Timestamp
    public let catalog: Catalog
    public private(set) var readSet = ReadSet()
    private var writes: [DocumentID: Value?] = [:]
    private var writeOrder: [DocumentID] = []
    private var nextCreationTime: Double

    public static func begin(_ client: StorageClient, catalog: Catalog? = nil) async throws -> StorageTransaction {
        let ts = try await client.latestTimestamp()
        if let catalog { return StorageTransaction(client: client, beginTs: ts, catalog: catalog) }
        return StorageTransaction(client: client, beginTs: ts, catalog: try await client.catalog())
    }

    public init(client: StorageClient, beginTs: Timestamp, catalog: Catalog) {
        self.client = client
        self.beginTs = beginTs
        self.catalog = catalog
        nextCreationTime = Double(beginTs) / 1e6
    }

    public func table(_ name: String) throws -> TableInfo {
        guard let table = catalog.table(named: name) else { throw StorageError(.notFound, "no table \(name)") }
        return table
    }

    public func index(_ table: String, _ name: String) throws -> IndexInfo {
        guard let index = catalog.index(table: try self.table(table).number, name: name) else {
            throw StorageError(.notFound, "no index \(name) on \(table)")
        }
        return index
    }

    /// The document's value as this transaction sees it: its own write if any, else the stored one.
    public mutating func get(_ id: DocumentID) async throws -> Value? {
        if let written = writes[id] { return written }
        // An ID of a table this transaction's catalog does not know reads as missing. Tables are never
        // dropped, so the catalog the transaction began with decides; no read is recorded for it.
        guard let table = catalog.table(number: id.tableNumber),
              let byID = catalog.index(table: table.number, name: IndexInfo.byID) else { return nil }
        readSet.add(.point(IndexInfo.byIDKey(id)), index: byID.id)
        return try await client.get([id], at: beginTs)[0]?.value
    }

    /// Up to `limit` documents of an index range at the begin timestamp. Records the range actually
    /// covered: with a full page, only up to the last key returned.
    /// Buffered writes of this transaction are not merged into scans.
    public mutating func scan(table: String, index name: String, _ interval: KeyInterval = .all,
                              order: ScanOrder = .ascending, limit: Int = 1000) async throws -> [StoredDocument] {
        let index = try self.index(table, name)
        let page = try await client.scan(ScanRequest(ts: beginTs, index: index.id, interval: interval, order: order, limit: limit))
        var covered = interval
        if page.cursor != nil, let last = page.entries.last?.key {
            switch order {
            case .ascending: covered.end = last + [0]
            case .descending: covered.start = last
            }
        }
        readSet.add(covered, index: index.id)
        return page.entries.map(\.document)
    }

    /// Buffers a new document and returns its ID.
    @discardableResult
    public mutating func insert(into table: String, _ fields: [String: Value]) throws -> DocumentID {
        let number = try self.table(table).number
        let id = DocumentID.generate(tableNumber: number, nowMillis: nextCreationTime)
        var document = fields
        document["_id"] = .string(id.description)
        document["_creationTime"] = .float64(nextCreationTime)
        nextCreationTime = nextCreationTime.nextUp
        put(id, .object(document))
        return id
    }

    /// Replaces a document's user fields, keeping its system fields.
    public mutating func replace(_ id: DocumentID, with fields: [String: Value]) async throws {
        guard case .object(let current)? = try await get(id) else { throw StorageError(.notFound, "no document \(id)") }
        var document = fields
        document["_id"] = current["_id"]
        document["_creationTime"] = current["_creationTime"]
        put(id, .object(document))
    }

    public mutating func delete(_ id: DocumentID) async throws {
        guard try await get(id) != nil else { throw StorageError(.notFound, "no document \(id)") }
        put(id, nil)
    }

    private mutating func put(_ id: DocumentID, _ value: Value?) {
        if writes.updateValue(value, forKey: id) == nil { writeOrder.append(id) }
    }

    public var pendingWrites: [DocumentWrite] {
        writeOrder.map { DocumentWrite(id: $0, value: writes[$0]!) }
    }

    public func commit() async throws -> CommitResult {
        try await client.commit(CommitRequest(beginTs: beginTs, readSet: readSet, writes: pendingWrites))
    }
}
