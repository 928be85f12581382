import Protocol
import StorageClient

/// Serves a query's or mutation's database calls from a storage transaction: reads at the begin
/// timestamp with their read set recorded, writes buffered until commit.
/// Used by one invocation at a time (the isolate, then the caller that commits), never concurrently.
public final class TransactionHost: FunctionHost, @unchecked Sendable {
    public private(set) var transaction: StorageTransaction
    private let writable: Bool
    /// Set when the function created a table, or its transaction's catalog turned out stale at the
    /// first read (or may be: a table it does not know, asked about before any read): the whole
    /// function must run again from a new snapshot, whatever it did with the error or null it got.
    public private(set) var restartRequested = false

    /// The run's paginated query and the journal it leaves (see `Pagination`).
    private var pagination: Pagination
    /// Where each nested mutation running now began, innermost last.
    private var savepoints: [StorageTransaction.Savepoint] = []

    public init(transaction: StorageTransaction, writable: Bool, seal: CursorSeal, journal: String? = nil) {
        self.transaction = transaction
        self.writable = writable
        pagination = Pagination(seal: seal, journal: journal)
    }

    /// Where this run's page ended, for the next run of the same subscription; nil if it did not paginate.
    public var journal: String? { pagination.journal }

    public nonisolated(nonsending) func call(_ operation: String, _ arguments: Value) async throws -> Value {
        do {
            return try await serve(operation, arguments)
        } catch StorageTransactionError.catalogChanged {
            restartRequested = true
            throw StorageTransactionError.catalogChanged
        } catch let error as StorageError where error.code == .limitExceeded {
            // The function sees Convex's text of a limit, without the storage protocol's code.
            throw HostError(error.message)
        }
    }

    private nonisolated(nonsending) func serve(_ operation: String, _ arguments: Value) async throws -> Value {
        switch operation {
        case "get": return try await get(arguments)
        case "queryPage": return try await queryPage(arguments)
        case "insert", "patch", "replace", "delete":
            guard writable else { throw HostError("\(operation) is not allowed in a query: queries only read") }
            switch operation {
            case "insert": return try await insert(arguments)
            case "patch": return try await update(arguments, merging: true)
            case "replace": return try await update(arguments, merging: false)
            default: return try await delete(arguments)
            }
        default:
            throw HostError("\(operation) is not available in \(writable ? "mutations" : "queries")")
        }
    }

    /// `normalizeId` (the ID if it is one of the table's, else null), `tableName` (the table of an ID, or
    /// null), and the bounds and end of a `paginate()`.
    public func callSync(_ operation: String, _ arguments: Value) throws -> Value {
        switch operation {
        case "pageBounds": return try pageBounds(arguments)
        case "pageEnd": return try pageEnd(arguments)
        case "beginNested", "commitNested", "rollbackNested": return try nested(operation, arguments)
        default: break
        }
        guard case .string(let text)? = arguments["id"], let id = DocumentID(text) else { return .null }
        switch operation {
        case "normalizeId":
            guard case .string(let table)? = arguments["table"] else { return .null }
            guard let info = transaction.catalog.table(named: table) else {
                restartIfCatalogMayBeStale()
                return .null
            }
            return info.number == id.tableNumber ? .string(text) : .null
        case "tableName":
            guard let table = transaction.catalog.tables.first(where: { $0.number == id.tableNumber }) else {
                restartIfCatalogMayBeStale()
                return .null
            }
            return .string(table.name)
        default:
            throw HostError("unknown operation \(operation)")
        }
    }

    /// Called when this transaction's catalog lacks a table or index. Before the first read that
    /// catalog is the one the client fetched last, which may predate it: the function runs again on a
    /// snapshot. After the first read the catalog is checked, and the table or index really is missing.
    private func restartIfCatalogMayBeStale() {
        if transaction.beginTs == nil { restartRequested = true }
    }

    // MARK: Reads

    private func documentID(_ arguments: Value, for call: String) throws -> DocumentID {
        guard case .string(let text)? = arguments["id"] else { throw HostError("Invalid argument `id` for `db.\(call)`: expected a string ID") }
        guard let id = DocumentID(text) else { throw HostError("Invalid argument `id` for `db.\(call)`: Unable to decode ID: \(text)") }
        return id
    }

    private func get(_ arguments: Value) async throws -> Value {
        try await transaction.get(try documentID(arguments, for: "get")) ?? .null
    }

    /// One batch of an index range, in order: `after` (a key from an earlier batch) excluded,
    /// `through` (a page's end key) included. Each entry has its document, key and size, which
    /// `paginate()` counts against its read limits; `continueAfter` is where the next batch starts.
    private func queryPage(_ arguments: Value) async throws -> Value {
        guard case .string(let tableName)? = arguments["table"], case .string(let indexName)? = arguments["index"] else {
            throw HostError("queryPage needs a table and an index")
        }
        let done: Value = ["page": .array([]), "isDone": true]
        // A table nobody has written to yet is empty, as in Convex; its creation must still invalidate this read.
        guard let table = transaction.catalog.table(named: tableName) else {
            try await transaction.recordTableCreationRead()
            return done
        }
        guard let index = transaction.catalog.index(table: table.number, name: indexName) else {
            restartIfCatalogMayBeStale()
            throw HostError("Index \(tableName).\(indexName) not found.")
        }
        let order: ScanOrder = arguments["order"] == "desc" ? .descending : .ascending
        let after = try Self.key(arguments["after"])
        var limit = 100
        if case .float64(let n)? = arguments["limit"] { limit = max(1, min(1000, Int(n))) }
        var interval = try IndexRange.interval(arguments["range"] ?? .array([]), index: index, tableName: tableName)
        if let through = try Self.key(arguments["through"]) {
            switch order {
            case .ascending: if interval.end.map({ (through + [0]).lexicographicallyPrecedes($0) }) ?? true { interval.end = through + [0] }
            case .descending: if !through.lexicographicallyPrecedes(interval.start) { interval.start = through }
            }
        }
        let page = try await transaction.scanPage(index, interval, order: order, limit: limit, after: after)
        let entries: [Value] = page.entries.map { entry in
            ["doc": entry.document, "key": .string(Base64.encode(entry.key)), "size": .float64(Double(entry.size))]
        }
        var answer: [String: Value] = ["page": .array(entries), "isDone": .boolean(page.isDone)]
        // The next batch starts after the last stored key read, which an entry of the transaction's own
        // writes need not be.
        if let next = page.cursor { answer["continueAfter"] = .string(Base64.encode(next)) }
        return .object(answer)
    }

    /// An index key as the runtime passes it between batches (base64), or nil.
    private static func key(_ argument: Value?) throws -> [UInt8]? {
        guard case .string(let text)? = argument else { return nil }
        guard let key = Base64.decode(text) else { throw HostError("queryPage: \(text) is not an index key") }
        return key
    }

    // MARK: Nested mutations

    /// `beginNested` returns a depth; `commitNested` keeps what the nested mutation at that depth
    /// wrote, `rollbackNested` undoes it. Nested mutations end innermost first: they are awaited.
    private func nested(_ operation: String, _ arguments: Value) throws -> Value {
        guard writable else { throw HostError("\(operation) is not available in queries") }
        if operation == "beginNested" {
            savepoints.append(transaction.savepoint())
            return .float64(Double(savepoints.count))
        }
        guard case .float64(let depth)? = arguments["depth"], Int(exactly: depth) == savepoints.count, !savepoints.isEmpty else {
            throw HostError("ctx.runMutation calls in a mutation must finish one at a time; await each before the next")
        }
        let savepoint = savepoints.removeLast()
        if operation == "rollbackNested" { transaction.rollback(to: savepoint) }
        return .null
    }

    // MARK: Pagination

    /// `pageBounds`: the options of a `paginate()` checked and its cursors opened.
    private func pageBounds(_ arguments: Value) throws -> Value {
        guard case .string(let tableName)? = arguments["table"], case .string(let indexName)? = arguments["index"],
              case .string(let query)? = arguments["query"], case .object(let options)? = arguments["options"] else {
            throw HostError("pageBounds needs a table, an index, a query and options")
        }
        let fingerprint = QueryFingerprint(query: query, indexFields: indexFields(tableName, indexName))
        let count: (Value?) -> Int? = { if case .float64(let n)? = $0 { Int(exactly: n.rounded(.up)) ?? Int.max } else { nil } }
        let text: (Value?) -> String? = { if case .string(let s)? = $0 { s } else { nil } }
        let paginationOptions = Pagination.Options(numItems: count(options["numItems"]) ?? 0, cursor: text(options["cursor"]),
                                                   endCursor: text(options["endCursor"]), maximumRowsRead: count(options["maximumRowsRead"]),
                                                   maximumBytesRead: count(options["maximumBytesRead"]))
        let bounds = try reporting { () throws(PaginationError) in
            try pagination.bounds(paginationOptions, fingerprint: fingerprint,
                                  limits: (transaction.limits.maxDocumentsRead, transaction.limits.maxBytesRead))
        }
        var fields: [String: Value] = [
            "fingerprint": .string(Base64.encode(bounds.fingerprint.bytes)),
            "startsAtEnd": .boolean(bounds.startsAtEnd),
            "hasEnd": .boolean(bounds.end != nil),
            "numItems": .float64(Double(bounds.numItems)),
            "softRows": .float64(Double(bounds.softRows)),
            "softBytes": .float64(Double(bounds.softBytes)),
            "softLength": .float64(Double(Pagination.softMaxPageLength)),
        ]
        if let after = bounds.after { fields["after"] = .string(Base64.encode(after)) }
        if case .after(let key)? = bounds.end { fields["through"] = .string(Base64.encode(key)) }
        if let rows = bounds.maximumRowsRead { fields["maximumRowsRead"] = .float64(Double(rows)) }
        if let bytes = bounds.maximumBytesRead { fields["maximumBytesRead"] = .float64(Double(bytes)) }
        return .object(fields)
    }

    /// `pageEnd`: where a `paginate()` stopped (a key, or null for the end), sealed as its cursors.
    private func pageEnd(_ arguments: Value) throws -> Value {
        guard case .string(let text)? = arguments["fingerprint"], let bytes = Base64.decode(text),
              let fingerprint = QueryFingerprint(bytes: bytes) else {
            throw HostError("pageEnd needs the page's fingerprint")
        }
        let position: PageCursor.Position = try Self.key(arguments["position"]).map { .after($0) } ?? .end
        let split = try Self.key(arguments["split"])
        let cursors = try reporting { () throws(PaginationError) in try pagination.finish(fingerprint: fingerprint, at: position, split: split) }
        return ["continueCursor": .string(cursors.continueCursor), "splitCursor": cursors.splitCursor.map(Value.string) ?? .null]
    }

    /// The fields of a user-defined index, which a cursor's fingerprint covers (a cursor of an index
    /// since redefined is of another query). The system indexes never change, nor do their fields
    /// exist before the table does.
    private func indexFields(_ tableName: String, _ indexName: String) -> [String] {
        guard indexName != IndexInfo.byCreationTime, indexName != IndexInfo.byID,
              let table = transaction.catalog.table(named: tableName),
              let index = transaction.catalog.index(table: table.number, name: indexName) else { return [] }
        return index.fields
    }

    /// A pagination error as the function sees it.
    private func reporting<T>(_ body: () throws(PaginationError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw HostError(error.description, convexErrorData: error.convexErrorData)
        }
    }

    // MARK: Writes

    private func insert(_ arguments: Value) async throws -> Value {
        guard case .string(let tableName)? = arguments["table"], case .object(let fields)? = arguments["value"] else {
            throw HostError("insert needs a table name and an object")
        }
        guard Value.isValidIdentifier(tableName), !tableName.hasPrefix("_") else {
            throw HostError("Invalid table name: \"\(tableName)\"")
        }
        for key in fields.keys where key.hasPrefix("_") {
            throw HostError("Failed to insert or update a document in table \"\(tableName)\" because it contains the system field \"\(key)\"")
        }
        if transaction.catalog.table(named: tableName) == nil {
            // Convex creates a table on its first insert. Here that is a catalog change of its own;
            // the function then runs again on a snapshot that has the table.
            _ = try await transaction.client.createTable(tableName)
            restartRequested = true
            throw HostError("table \(tableName) did not exist and was created; the function runs again")
        }
        return .string(try transaction.insert(into: tableName, fields).description)
    }

    private func update(_ arguments: Value, merging: Bool) async throws -> Value {
        let call = merging ? "patch" : "replace"
        let id = try documentID(arguments, for: call)
        guard case .object(let changes)? = arguments["value"] else { throw HostError("\(call) needs an object") }
        guard case .object(let current)? = try await transaction.get(id) else {
            throw HostError("Update on nonexistent document ID \(id)")
        }
        for key in ["_id", "_creationTime"] {
            if let given = changes[key], given != current[key] {
                throw HostError("Provided \(key) field does not match the document being updated")
            }
        }
        var document = merging ? current : [:]
        for (key, value) in changes where key != "_id" && key != "_creationTime" {
            guard !key.hasPrefix("_") else { throw HostError("Failed to update a document because it contains the system field \"\(key)\"") }
            document[key] = value
        }
        if case .array(let unset)? = arguments["unset"] {
            for case .string(let key) in unset { document[key] = nil }
        }
        var user = document
        user["_id"] = nil
        user["_creationTime"] = nil
        try await transaction.replace(id, with: user)
        return .null
    }

    private func delete(_ arguments: Value) async throws -> Value {
        let id = try documentID(arguments, for: "delete")
        guard try await transaction.get(id) != nil else { throw HostError("Delete on nonexistent document ID \(id)") }
        try await transaction.delete(id)
        return .null
    }
}
