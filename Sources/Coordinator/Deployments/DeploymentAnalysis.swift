import Protocol

/// What a runner found in a bundle (`FunctionIsolate.analyze`): its functions, schema and auth
/// providers, and the raw description for the admin API.
struct DeploymentAnalysis: Sendable {
    struct Function: Sendable, Hashable {
        enum Kind: String, Sendable {
            case query, mutation, action, httpAction

            /// How the function is called; nil for an HTTP action, which only its route reaches.
            var functionKind: FunctionKind? { FunctionKind(rawValue: rawValue) }
        }

        /// `messages:list`, as Convex names functions to people.
        let name: String
        let kind: Kind
        let isPublic: Bool
    }

    struct Table: Sendable {
        let name: String
        /// User indexes in the schema's order, with the fields it gives (without the implicit `_creationTime`).
        let indexes: [(name: String, fields: [String])]
        /// The documents' validator, as JSON.
        let documentType: Value?
    }

    struct Schema: Sendable {
        let schemaValidation: Bool
        let tables: [Table]
    }

    let functions: [Function]
    /// The functions by path (`dir/mod.js` and export name), for calls that do not say their kind.
    let functionsByPath: [CanonicalFunctionPath: Function]
    let schema: Schema?
    let authProviders: [AuthProvider]
    let raw: Value

    init(_ raw: Value) throws {
        self.raw = raw
        guard case .array(let functionList)? = raw["functions"] else { throw CoordinatorError.invalidAnalysis("it has no functions") }
        functions = functionList.compactMap { entry in
            guard case .string(let module)? = entry["module"], case .string(let name)? = entry["name"],
                  case .string(let kindName)? = entry["kind"], let kind = Function.Kind(rawValue: kindName) else { return nil }
            let display = module.hasSuffix(".js") ? String(module.dropLast(3)) : module
            return Function(name: "\(display):\(name)", kind: kind, isPublic: entry["visibility"] != .string("internal"))
        }
        var byPath: [CanonicalFunctionPath: Function] = [:]
        for function in functions {
            if let path = CanonicalFunctionPath(function.name) { byPath[path] = function }
        }
        functionsByPath = byPath
        if case .object = raw["schema"] {
            let schemaValue = raw["schema"]!
            var tables: [Table] = []
            if case .array(let entries)? = schemaValue["tables"] {
                for entry in entries {
                    guard case .string(let name)? = entry["name"] else { continue }
                    var indexes: [(name: String, fields: [String])] = []
                    if case .array(let list)? = entry["indexes"] {
                        for index in list {
                            guard case .string(let indexName)? = index["name"], case .array(let fields)? = index["fields"] else { continue }
                            indexes.append((indexName, fields.compactMap { if case .string(let f) = $0 { return f } else { return nil } }))
                        }
                    }
                    tables.append(Table(name: name, indexes: indexes, documentType: entry["documentType"]))
                }
            }
            schema = Schema(schemaValidation: schemaValue["schemaValidation"] != .boolean(false), tables: tables)
        } else {
            schema = nil
        }
        authProviders = try AuthProvider.providers(from: raw)
    }
}

/// What a push changes in the storage node's catalog to match a schema: tables to create, indexes to
/// add (each with `_creationTime` appended, as Convex does) and user indexes to drop.
struct SchemaChanges: Sendable {
    struct Index: Sendable, Hashable {
        let table: String
        let name: String
        let fields: [String]
        var label: String { "\(table).\(name)" }
    }

    var tablesToCreate: [String] = []
    var indexesToAdd: [Index] = []
    var indexesToDrop: [Index] = []

    /// Without a schema nothing changes: indexes come only from a schema, and an app without one
    /// keeps what it has. Index definitions Convex would refuse are refused here, with its messages.
    init(schema: DeploymentAnalysis.Schema?, catalog: Catalog) throws {
        guard let schema else { return }
        for table in schema.tables { try Self.validate(table) }
        let builtIn: Set<String> = [IndexInfo.byID, IndexInfo.byCreationTime]
        var existing: [String: [String: [String]]] = [:]
        var unfinished = Set<String>()
        for table in catalog.tables {
            for index in catalog.indexes where index.tableNumber == table.number && !builtIn.contains(index.name) {
                existing[table.name, default: [:]][index.name] = index.fields
                if index.state != .ready { unfinished.insert("\(table.name).\(index.name)") }
            }
        }
        var wanted: [String: [String: [String]]] = [:]
        for table in schema.tables {
            if catalog.table(named: table.name) == nil { tablesToCreate.append(table.name) }
            for (name, fields) in table.indexes {
                wanted[table.name, default: [:]][name] = fields + ["_creationTime"]
            }
        }
        for (table, indexes) in wanted.sorted(by: { $0.key < $1.key }) {
            // An index a crash left backfilling is asked for again: that joins (or resumes) its backfill.
            for (name, fields) in indexes.sorted(by: { $0.key < $1.key }) where existing[table]?[name] != fields || unfinished.contains("\(table).\(name)") {
                // An index whose fields changed is dropped and built again.
                if let old = existing[table]?[name], old != fields { indexesToDrop.append(Index(table: table, name: name, fields: old)) }
                indexesToAdd.append(Index(table: table, name: name, fields: fields))
            }
        }
        for (table, indexes) in existing.sorted(by: { $0.key < $1.key }) {
            // Tables the schema leaves out keep their data; their indexes go, as the schema has none for them.
            for (name, fields) in indexes.sorted(by: { $0.key < $1.key }) where wanted[table]?[name] == nil {
                indexesToDrop.append(Index(table: table, name: name, fields: fields))
            }
        }
    }

    private static func validate(_ table: DeploymentAnalysis.Table) throws {
        func reject(_ message: String) -> CoordinatorError { .pushRejected(message) }
        guard Value.isValidIdentifier(table.name), !table.name.hasPrefix("_") else {
            throw reject("Invalid table name: \"\(table.name)\". Identifiers must start with a letter and only contain letters, digits, underscores.")
        }
        guard table.indexes.count <= 64 else { throw reject("Table \"\(table.name)\" cannot have more than 64 indexes.") }
        var seenFields: [[String]: String] = [:], seenNames = Set<String>()
        for (name, fields) in table.indexes {
            guard seenNames.insert(name).inserted else {
                throw reject("Table \"\(table.name)\" has two or more definitions of index \"\(name)\".")
            }
            if name.hasPrefix("_") || name == IndexInfo.byID || name == IndexInfo.byCreationTime {
                throw reject("In table \"\(table.name)\" cannot name an index \"\(name)\" because the name is reserved. "
                    + "Indexes may not start with an underscore or be named \"by_id\" or \"by_creation_time\".")
            }
            guard Value.isValidIdentifier(name), name.count <= 64 else {
                throw reject("Invalid index name: \"\(name)\". Identifiers must be 64 characters or less, start with a letter, and only contain letters, digits, underscores.")
            }
            guard !fields.isEmpty else { throw reject("In table \"\(table.name)\" index \"\(name)\" must have at least one field.") }
            for field in fields {
                if field == "_id" {
                    throw reject("In index \"\(name)\": `_id` is not a valid index field. To load documents by ID, use `db.get(id)`.")
                }
                if field == "_creationTime" {
                    throw reject("`_creationTime` is automatically added to the end of each index. It should not be added explicitly in the index definition. See https://docs.convex.dev/using/indexes for more details.")
                }
                if field.hasPrefix("_") { throw reject("Reserved fields (starting with `_`) are not allowed in indexes.") }
                guard Value.isValidFieldPath(field) else {
                    throw reject("In index \"\(name)\": \"\(field)\" is not a valid field path.")
                }
            }
            if let duplicate = fields.first(where: { field in fields.filter { $0 == field }.count > 1 }) {
                throw reject("Duplicate field \(duplicate). Index fields must be unique within an index.")
            }
            guard fields.count < 16 else { throw reject("Indexes may have up to 16 fields.") }
            if let other = seenFields[fields] {
                throw reject("In table \"\(table.name)\" index \"\(other)\" and index \"\(name)\" have the same fields. Indexes must be unique within a table.")
            }
            seenFields[fields] = name
        }
    }
}
