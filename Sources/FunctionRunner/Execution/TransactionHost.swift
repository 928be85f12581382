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

    public init(transaction: StorageTransaction, writable: Bool) {
        self.transaction = transaction
        self.writable = writable
    }

    public nonisolated(nonsending) func call(_ operation: String, _ arguments: Value) async throws -> Value {
        do {
            return try await serve(operation, arguments)
        } catch StorageTransactionError.catalogChanged {
            restartRequested = true
            throw StorageTransactionError.catalogChanged
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

    /// `normalizeId` (the ID if it is one of the table's, else null) and `tableName` (the table of an ID, or null).
    public func callSync(_ operation: String, _ arguments: Value) throws -> Value {
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

    private func queryPage(_ arguments: Value) async throws -> Value {
        guard case .string(let tableName)? = arguments["table"], case .string(let indexName)? = arguments["index"] else {
            throw HostError("queryPage needs a table and an index")
        }
        let done: Value = ["page": .array([]), "isDone": true, "continueCursor": "_end_cursor"]
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
        var after: [UInt8]? = nil
        if case .string(let cursor)? = arguments["cursor"] {
            if cursor == "_end_cursor" { return done }
            if cursor != "_start_cursor" {
                guard let key = Base64.decode(cursor) else { throw HostError("Invalid cursor \(cursor)") }
                after = key
            }
        }
        var limit = 100
        if case .float64(let n)? = arguments["limit"] { limit = max(1, min(1000, Int(n))) }
        var interval = try IndexRange.interval(arguments["range"] ?? .array([]), index: index, tableName: tableName)
        if case .string(let end)? = arguments["endCursor"], end != "_end_cursor" {
            // A page re-run up to where it ended before.
            guard let key = Base64.decode(end) else { throw HostError("Invalid cursor \(end)") }
            switch order {
            case .ascending: if interval.end.map({ (key + [0]).lexicographicallyPrecedes($0) }) ?? true { interval.end = key + [0] }
            case .descending: if key.lexicographicallyPrecedes(interval.start) == false { interval.start = key }
            }
        }
        let page = try await transaction.scanPage(index, interval, order: order, limit: limit, after: after)
        let entries: [Value] = page.entries.map { ["doc": $0.document, "cursor": .string(Base64.encode($0.key))] }
        return .object([
            "page": .array(entries),
            "isDone": .boolean(page.isDone),
            "continueCursor": page.cursor.map { .string(Base64.encode($0)) } ?? "_end_cursor",
        ])
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
