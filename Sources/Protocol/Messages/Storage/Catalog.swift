/// A table: its name and the number its documents' IDs carry.
public struct TableInfo: Hashable, Sendable {
    public var name: String
    public var number: UInt32

    public init(name: String, number: UInt32) {
        self.name = name
        self.number = number
    }
}

/// One index of a table, as the catalog lists it.
public struct IndexInfo: Hashable, Sendable {
    /// Writes maintain a `backfilling` index, but only a `ready` one can be read.
    public enum State: UInt8, Sendable { case backfilling = 0, ready = 1 }

    public var id: IndexID
    public var tableNumber: UInt32
    public var name: String
    /// Dotted field paths. The key is these fields' values followed by the document's `_id`
    /// (unless the last field is `_id` itself), so keys are unique.
    public var fields: [String]
    public var state: State

    public init(id: IndexID, tableNumber: UInt32, name: String, fields: [String], state: State) {
        self.id = id
        self.tableNumber = tableNumber
        self.name = name
        self.fields = fields
        self.state = state
    }

    /// The built-in index on `_id` that every table has.
    public static let byID = "by_id"
    /// The built-in index on `_creationTime` that every table has.
    public static let byCreationTime = "by_creation_time"
}

/// The node's tables and indexes, the system tables `_tables` and `_index` included.
public struct Catalog: Hashable, Sendable {
    public var tables: [TableInfo]
    public var indexes: [IndexInfo]

    public init(tables: [TableInfo], indexes: [IndexInfo]) {
        self.tables = tables
        self.indexes = indexes
    }

    public func table(named name: String) -> TableInfo? { tables.first { $0.name == name } }
    public func table(number: UInt32) -> TableInfo? { tables.first { $0.number == number } }
    /// `table` is the table's number.
    public func index(table: UInt32, name: String) -> IndexInfo? {
        indexes.first { $0.tableNumber == table && $0.name == name }
    }
    public func index(id: IndexID) -> IndexInfo? { indexes.first { $0.id == id } }
}
