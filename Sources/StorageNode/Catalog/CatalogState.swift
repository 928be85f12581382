import Protocol

/// The tables and indexes as of the newest validated commit, with the catalog documents behind them.
///
/// The catalog is itself data: each table is a document in `_tables`, each index one in `_index`, written
/// through the committer like any other commit, so it is as durable and as ordered as the data it describes.
struct CatalogState {
    private(set) var tables: [UInt32: TableInfo] = [:]
    private(set) var tableNumbersByName: [String: UInt32] = [:]
    private(set) var indexes: [IndexID: IndexInfo] = [:]
    private(set) var indexesByTable: [UInt32: [IndexID]] = [:]
    /// The catalog document of each table and index, needed to update or delete it.
    private(set) var tableDocuments: [UInt32: StoredDocument] = [:]
    private(set) var indexDocuments: [IndexID: StoredDocument] = [:]
    /// The table of each index dropped since start, so a transaction that read one gets a conflict.
    private(set) var droppedIndexTables: [IndexID: String] = [:]

    /// Index IDs 1–4 are the built-in indexes of the two catalog tables; user indexes start above.
    static let firstUserIndexID: IndexID = 16

    static let systemTables = [
        TableInfo(name: "_tables", number: TableNumber.tables),
        TableInfo(name: "_index", number: TableNumber.indexes),
    ]

    /// The `by_id` indexes of the catalog tables, which recovery reads the catalog from.
    static let tablesByID: IndexID = 1
    static let indexesByID: IndexID = 3

    static let systemIndexes = [
        IndexInfo(id: tablesByID, tableNumber: TableNumber.tables, name: IndexInfo.byID, fields: ["_id"], state: .ready),
        IndexInfo(id: 2, tableNumber: TableNumber.tables, name: IndexInfo.byCreationTime, fields: ["_creationTime"], state: .ready),
        IndexInfo(id: indexesByID, tableNumber: TableNumber.indexes, name: IndexInfo.byID, fields: ["_id"], state: .ready),
        IndexInfo(id: 4, tableNumber: TableNumber.indexes, name: IndexInfo.byCreationTime, fields: ["_creationTime"], state: .ready),
    ]

    init() {
        for table in Self.systemTables { addTable(table, document: nil) }
        for index in Self.systemIndexes { putIndex(index, document: nil) }
    }

    var snapshot: Catalog {
        Catalog(
            tables: tables.values.sorted { $0.number < $1.number },
            indexes: indexes.values.sorted { $0.id < $1.id })
    }

    func table(named name: String) -> TableInfo? {
        tableNumbersByName[name].flatMap { tables[$0] }
    }

    func indexes(ofTable number: UInt32) -> [IndexInfo] {
        (indexesByTable[number] ?? []).compactMap { indexes[$0] }
    }

    func index(table: UInt32, name: String) -> IndexInfo? {
        indexes(ofTable: table).first { $0.name == name }
    }

    func byIDIndex(ofTable number: UInt32) -> IndexInfo? {
        index(table: number, name: IndexInfo.byID)
    }

    /// The timestamp of the newest catalog document.
    var latestChangeTs: Timestamp {
        (tableDocuments.values.map(\.ts) + indexDocuments.values.map(\.ts)).max() ?? 0
    }

    var nextTableNumber: UInt32 {
        max(TableNumber.firstUser, (tables.keys.max() ?? 0) + 1)
    }

    var nextIndexID: IndexID {
        max(Self.firstUserIndexID, (indexes.keys.max() ?? 0) + 1)
    }

    mutating func addTable(_ table: TableInfo, document: StoredDocument?) {
        tables[table.number] = table
        tableNumbersByName[table.name] = table.number
        if let document { tableDocuments[table.number] = document }
    }

    mutating func putIndex(_ index: IndexInfo, document: StoredDocument?) {
        if indexes[index.id] == nil { indexesByTable[index.tableNumber, default: []].append(index.id) }
        indexes[index.id] = index
        if let document { indexDocuments[index.id] = document }
    }

    mutating func removeIndex(_ id: IndexID, tableName: String) {
        guard let index = indexes.removeValue(forKey: id) else { return }
        droppedIndexTables[id] = tableName
        indexesByTable[index.tableNumber]?.removeAll { $0 == id }
        indexDocuments[id] = nil
    }

    // MARK: Catalog documents

    static func tableDocument(_ table: TableInfo, id: DocumentID, creationTime: Double) -> Value {
        .object([
            "_id": .string(id.description),
            "_creationTime": .float64(creationTime),
            "name": .string(table.name),
            "number": .int64(Int64(table.number)),
        ])
    }

    static func indexDocument(_ index: IndexInfo, id: DocumentID, creationTime: Double) -> Value {
        .object([
            "_id": .string(id.description),
            "_creationTime": .float64(creationTime),
            "indexId": .int64(Int64(index.id)),
            "table": .int64(Int64(index.tableNumber)),
            "name": .string(index.name),
            "fields": .array(index.fields.map { .string($0) }),
            "state": .string(index.state == .ready ? "ready" : "backfilling"),
        ])
    }

    static func table(from document: Value) throws -> TableInfo {
        guard case .string(let name)? = document["name"], case .int64(let number)? = document["number"] else {
            throw StorageError(.internalError, "malformed _tables document")
        }
        return TableInfo(name: name, number: UInt32(number))
    }

    static func index(from document: Value) throws -> IndexInfo {
        guard case .int64(let id)? = document["indexId"], case .int64(let table)? = document["table"],
              case .string(let name)? = document["name"], case .array(let rawFields)? = document["fields"],
              case .string(let state)? = document["state"]
        else { throw StorageError(.internalError, "malformed _index document") }
        let fields = rawFields.compactMap { field -> String? in
            if case .string(let f) = field { return f } else { return nil }
        }
        return IndexInfo(id: IndexID(id), tableNumber: UInt32(table), name: name, fields: fields,
                         state: state == "ready" ? .ready : .backfilling)
    }
}
