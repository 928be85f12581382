import NIOCore

/// An answer from the storage node, or a push (`invalidated`).
public enum StorageResponse: Hashable, Sendable {
    /// The latest published timestamp, and the timestamp of the newest change to the catalog, so a
    /// client that has that catalog need not ask for it again.
    case timestamp(Timestamp, catalogTs: Timestamp)
    case catalog(Catalog)
    case table(TableInfo)
    case index(IndexInfo)
    case documents([StoredDocument?])
    case scanPage(ScanPage)
    case commit(CommitResult)
    case done
    case error(StorageError)
    case invalidated(Invalidation)

    /// The frame kind this response travels as.
    public var kind: MessageKind {
        switch self {
        case .timestamp: return .timestampResult
        case .catalog: return .catalogResult
        case .table: return .tableResult
        case .index: return .indexResult
        case .documents: return .documentsResult
        case .scanPage: return .scanResult
        case .commit: return .commitResult
        case .done: return .done
        case .error: return .error
        case .invalidated: return .invalidated
        }
    }

    /// The response as a frame; an answer carries its request's ID, a push 0.
    public func frame(requestID: UInt64) -> Frame {
        var body = ByteBuffer()
        switch self {
        case let .timestamp(ts, catalogTs):
            body.writeInteger(ts)
            body.writeInteger(catalogTs)
        case .catalog(let catalog):
            body.writeVarUInt(UInt64(catalog.tables.count))
            for t in catalog.tables { body.writeTableInfo(t) }
            body.writeVarUInt(UInt64(catalog.indexes.count))
            for i in catalog.indexes { body.writeIndexInfo(i) }
        case .table(let t):
            body.writeTableInfo(t)
        case .index(let i):
            body.writeIndexInfo(i)
        case .documents(let docs):
            body.writeVarUInt(UInt64(docs.count))
            for doc in docs {
                body.writeBool(doc != nil)
                if let doc { body.writeStoredDocument(doc) }
            }
        case .scanPage(let page):
            body.writeVarUInt(UInt64(page.entries.count))
            for e in page.entries {
                body.writeLengthPrefixed(e.key)
                body.writeStoredDocument(e.document)
            }
            body.writeOptionalBytes(page.cursor)
        case .commit(.committed(let ts)):
            body.writeInteger(UInt8(0))
            body.writeInteger(ts)
        case .commit(.conflict(let table)):
            body.writeInteger(UInt8(1))
            body.writeLengthPrefixedString(table)
        case let .commit(.alreadyCommitted(ts, outcome)):
            body.writeInteger(UInt8(2))
            body.writeInteger(ts)
            body.writeLengthPrefixed(outcome)
        case .done:
            break
        case .error(let e):
            body.writeInteger(e.code.rawValue)
            body.writeLengthPrefixedString(e.message)
        case .invalidated(let inv):
            body.writeInteger(inv.ts)
            body.writeVarUInt(UInt64(inv.subscriptionIDs.count))
            for id in inv.subscriptionIDs { body.writeVarUInt(id) }
        }
        return Frame(kind: kind.rawValue, requestID: requestID, body: body)
    }

    /// Reads a storage response; throws `ProtocolError` for another kind, a malformed body or trailing bytes.
    public init(frame: Frame) throws {
        guard let kind = MessageKind(rawValue: frame.kind) else { throw ProtocolError.unknownMessageKind(frame.kind) }
        var body = frame.body
        switch kind {
        case .timestampResult:
            self = .timestamp(try body.readUInt64(), catalogTs: try body.readUInt64())
        case .catalogResult:
            var tables: [TableInfo] = []
            for _ in 0..<(try body.readCount()) { tables.append(try body.readTableInfo()) }
            var indexes: [IndexInfo] = []
            for _ in 0..<(try body.readCount()) { indexes.append(try body.readIndexInfo()) }
            self = .catalog(Catalog(tables: tables, indexes: indexes))
        case .tableResult:
            self = .table(try body.readTableInfo())
        case .indexResult:
            self = .index(try body.readIndexInfo())
        case .documentsResult:
            var docs: [StoredDocument?] = []
            for _ in 0..<(try body.readCount()) {
                docs.append(try body.readBool() ? try body.readStoredDocument() : nil)
            }
            self = .documents(docs)
        case .scanResult:
            var entries: [ScanEntry] = []
            for _ in 0..<(try body.readCount()) {
                let key = try body.readLengthPrefixedBytes()
                entries.append(ScanEntry(key: key, document: try body.readStoredDocument()))
            }
            self = .scanPage(ScanPage(entries: entries, cursor: try body.readOptionalBytes()))
        case .commitResult:
            switch try body.readUInt8() {
            case 0: self = .commit(.committed(try body.readUInt64()))
            case 1: self = .commit(.conflict(table: try body.readLengthPrefixedString()))
            case 2: self = .commit(.alreadyCommitted(ts: try body.readUInt64(), outcome: try body.readLengthPrefixedBytes()))
            case let b: throw ProtocolError.malformed("commit result \(b)")
            }
        case .done:
            self = .done
        case .error:
            guard let code = StorageError.Code(rawValue: try body.readUInt8()) else { throw ProtocolError.malformed("error code") }
            self = .error(StorageError(code, try body.readLengthPrefixedString()))
        case .invalidated:
            let ts = try body.readUInt64()
            var ids: [UInt64] = []
            for _ in 0..<(try body.readCount()) { ids.append(try body.readVarUInt()) }
            self = .invalidated(Invalidation(subscriptionIDs: ids, ts: ts))
        default:
            throw ProtocolError.malformed("kind \(kind) is not a storage response")
        }
        guard body.readableBytes == 0 else { throw ProtocolError.malformed("\(body.readableBytes) trailing bytes in \(kind)") }
    }
}
