import Foundation
import Protocol
@testable import StorageNode
import XCTest

/// A storage node in this process on a fresh SQLite file, with small helpers to drive it.
final class TestNode {
    let directory: URL
    let path: String
    private(set) var node: StorageNode!
    var configuration: StorageNodeConfiguration

    init(configuration: StorageNodeConfiguration = .init()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("converge-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("db.sqlite3").path
        self.configuration = configuration
        try await reopen()
    }

    /// Closes and opens the node again on the same file, as a restart would.
    func reopen() async throws {
        if let node { try await node.close() }
        node = try await StorageNode.open(persistence: try SQLitePersistence(path: path), configuration: configuration)
    }

    func remove() async {
        try? await node.close()
        try? FileManager.default.removeItem(at: directory)
    }

    func request(_ request: StorageRequest, connection: UInt64 = 1) async throws -> StorageResponse {
        let response = await node.handle(request, connection: connection)
        if case .error(let error) = response { throw error }
        return response
    }

    func latest() async throws -> Timestamp {
        guard case .timestamp(let ts, _) = try await request(.latestTimestamp) else { throw TestError.unexpected }
        return ts
    }

    func catalog() async throws -> Catalog {
        guard case .catalog(let c) = try await request(.catalog) else { throw TestError.unexpected }
        return c
    }

    @discardableResult
    func createTable(_ name: String) async throws -> TableInfo {
        guard case .table(let t) = try await request(.createTable(name: name)) else { throw TestError.unexpected }
        return t
    }

    @discardableResult
    func createIndex(_ table: String, _ name: String, _ fields: [String]) async throws -> IndexInfo {
        guard case .index(let i) = try await request(.createIndex(table: table, name: name, fields: fields)) else { throw TestError.unexpected }
        return i
    }

    func index(_ table: String, _ name: String) async throws -> IndexInfo {
        let catalog = try await catalog()
        return try XCTUnwrap(catalog.index(table: try XCTUnwrap(catalog.table(named: table)).number, name: name))
    }

    func get(_ id: DocumentID, at ts: Timestamp? = nil) async throws -> StoredDocument? {
        let at: Timestamp
        if let ts { at = ts } else { at = try await latest() }
        guard case .documents(let docs) = try await request(.get(ts: at, ids: [id])) else { throw TestError.unexpected }
        return docs[0]
    }

    /// The document, failing the test if it is missing.
    func require(_ id: DocumentID, at ts: Timestamp? = nil, file: StaticString = #filePath, line: UInt = #line) async throws -> StoredDocument {
        let doc = try await get(id, at: ts)
        return try XCTUnwrap(doc, "document \(id) is missing", file: file, line: line)
    }

    func scan(_ index: IndexInfo, _ interval: KeyInterval = .all, order: ScanOrder = .ascending, limit: Int = 1000,
              cursor: [UInt8]? = nil, at ts: Timestamp? = nil) async throws -> ScanPage {
        let at: Timestamp
        if let ts { at = ts } else { at = try await latest() }
        let scan = ScanRequest(ts: at, index: index.id, interval: interval, order: order, limit: limit, cursor: cursor)
        guard case .scanPage(let page) = try await request(.scan(scan)) else { throw TestError.unexpected }
        return page
    }

    func commit(begin: Timestamp, reads: ReadSet = ReadSet(), writes: [DocumentWrite], receipt: CommitReceipt? = nil) async throws -> CommitResult {
        guard case .commit(let result) = try await request(.commit(CommitRequest(beginTs: begin, readSet: reads, writes: writes, receipt: receipt))) else {
            throw TestError.unexpected
        }
        return result
    }

    /// Inserts one document in its own transaction and returns its ID and commit timestamp.
    @discardableResult
    func insert(_ table: TableInfo, _ fields: [String: Value]) async throws -> (DocumentID, Timestamp) {
        let begin = try await latest()
        let (id, doc) = Self.document(table, fields, creationTs: begin)
        guard case .committed(let ts) = try await commit(begin: begin, writes: [DocumentWrite(id: id, value: doc)]) else {
            throw TestError.unexpected
        }
        return (id, ts)
    }

    static func document(_ table: TableInfo, _ fields: [String: Value], creationTs: Timestamp) -> (DocumentID, Value) {
        let creation = Double(creationTs) / 1e6 + Double.random(in: 0..<1)
        let id = DocumentID.generate(tableNumber: table.number, nowMillis: creation)
        var doc = fields
        doc["_id"] = .string(id.description)
        doc["_creationTime"] = .float64(creation)
        return (id, .object(doc))
    }

    static func withFields(_ document: Value, _ fields: [String: Value]) -> Value {
        guard case .object(var doc) = document else { return document }
        for (k, v) in fields { doc[k] = v }
        return .object(doc)
    }
}

enum TestError: Error { case unexpected }

extension ReadSet {
    static func point(_ id: DocumentID, byID: IndexInfo) -> ReadSet {
        ReadSet([byID.id: [.point(IndexInfo.byIDKey(id))]])
    }
}
