import NIOCore

/// A request to the storage node.
public enum StorageRequest: Hashable, Sendable {
    /// The newest timestamp whose commits are all durable and visible: where reads and transactions begin.
    case latestTimestamp
    case catalog
    /// Creates a table with its `by_id` and `by_creation_time` indexes; returns the existing one if present.
    case createTable(name: String)
    /// Creates an index and backfills it before answering; it is readable once the answer arrives.
    case createIndex(table: String, name: String, fields: [String])
    case dropIndex(table: String, name: String)
    /// Documents by ID at `ts`, in the order asked; a missing document answers nil.
    case get(ts: Timestamp, ids: [DocumentID])
    case scan(ScanRequest)
    case commit(CommitRequest)
    /// Whether a commit under this key happened: answered `.commit(.alreadyCommitted)` or `.done`.
    case receipt(IdempotencyKey)
    case subscribe(SubscribeRequest)
    case unsubscribe(ids: [UInt64])

    /// The frame kind this request travels as.
    public var kind: MessageKind {
        switch self {
        case .latestTimestamp: return .latestTimestamp
        case .catalog: return .catalog
        case .createTable: return .createTable
        case .createIndex: return .createIndex
        case .dropIndex: return .dropIndex
        case .get: return .get
        case .scan: return .scan
        case .commit: return .commit
        case .receipt: return .receipt
        case .subscribe: return .subscribe
        case .unsubscribe: return .unsubscribe
        }
    }

    /// The request as a frame under `requestID`.
    public func frame(requestID: UInt64) -> Frame {
        var body = ByteBuffer()
        switch self {
        case .latestTimestamp, .catalog:
            break
        case .createTable(let name):
            body.writeLengthPrefixedString(name)
        case let .createIndex(table, name, fields):
            body.writeLengthPrefixedString(table)
            body.writeLengthPrefixedString(name)
            body.writeVarUInt(UInt64(fields.count))
            for f in fields { body.writeLengthPrefixedString(f) }
        case let .dropIndex(table, name):
            body.writeLengthPrefixedString(table)
            body.writeLengthPrefixedString(name)
        case let .get(ts, ids):
            body.writeInteger(ts)
            body.writeVarUInt(UInt64(ids.count))
            for id in ids { body.writeDocumentID(id) }
        case .scan(let scan):
            body.writeInteger(scan.ts)
            body.writeVarUInt(scan.index)
            body.writeKeyInterval(scan.interval)
            body.writeInteger(scan.order.rawValue)
            body.writeVarUInt(UInt64(max(0, scan.limit)))
            body.writeOptionalBytes(scan.cursor)
        case .commit(let commit):
            body.writeBool(commit.beginTs != nil)
            body.writeInteger(commit.beginTs ?? 0)
            body.writeReadSet(commit.readSet)
            body.writeVarUInt(UInt64(commit.writes.count))
            for write in commit.writes {
                body.writeDocumentID(write.id)
                // 0: delete, 1: a new version of a stored document, 2: a new document.
                if let value = write.value {
                    body.writeInteger(UInt8(write.isInsert ? 2 : 1))
                    body.writeValue(value)
                } else {
                    body.writeInteger(UInt8(0))
                }
            }
            body.writeBool(commit.receipt != nil)
            if let receipt = commit.receipt {
                body.writeIdempotencyKey(receipt.key)
                body.writeLengthPrefixed(receipt.outcome)
                body.writeBool(receipt.isRetry)
            }
            body.writeBool(commit.priority != nil)
            if let priority = commit.priority {
                body.writeInteger(priority.since)
                body.writeInteger(priority.token)
            }
        case .receipt(let key):
            body.writeIdempotencyKey(key)
        case .subscribe(let sub):
            body.writeVarUInt(sub.id)
            body.writeInteger(sub.ts)
            body.writeReadSet(sub.readSet)
        case .unsubscribe(let ids):
            body.writeVarUInt(UInt64(ids.count))
            for id in ids { body.writeVarUInt(id) }
        }
        return Frame(kind: kind.rawValue, requestID: requestID, body: body)
    }

    /// Reads a storage request; throws `ProtocolError` for another kind, a malformed body or trailing bytes.
    public init(frame: Frame) throws {
        guard let kind = MessageKind(rawValue: frame.kind) else { throw ProtocolError.unknownMessageKind(frame.kind) }
        var body = frame.body
        switch kind {
        case .latestTimestamp: self = .latestTimestamp
        case .catalog: self = .catalog
        case .createTable: self = .createTable(name: try body.readLengthPrefixedString())
        case .createIndex:
            let table = try body.readLengthPrefixedString()
            let name = try body.readLengthPrefixedString()
            let n = try body.readCount()
            var fields: [String] = []
            for _ in 0..<n { fields.append(try body.readLengthPrefixedString()) }
            self = .createIndex(table: table, name: name, fields: fields)
        case .dropIndex:
            self = .dropIndex(table: try body.readLengthPrefixedString(), name: try body.readLengthPrefixedString())
        case .get:
            let ts = try body.readUInt64()
            let n = try body.readCount()
            var ids: [DocumentID] = []
            for _ in 0..<n { ids.append(try body.readDocumentID()) }
            self = .get(ts: ts, ids: ids)
        case .scan:
            let ts = try body.readUInt64()
            let index = try body.readVarUInt()
            let interval = try body.readKeyInterval()
            guard let order = ScanOrder(rawValue: try body.readUInt8()) else { throw ProtocolError.malformed("scan order") }
            let limit = try body.readVarUInt()
            guard limit <= UInt64(Int32.max) else { throw ProtocolError.malformed("scan limit") }
            let cursor = try body.readOptionalBytes()
            self = .scan(ScanRequest(ts: ts, index: index, interval: interval, order: order, limit: Int(limit), cursor: cursor))
        case .commit:
            let hasBegin = try body.readBool()
            let ts = try body.readUInt64()
            let beginTs = hasBegin ? ts : nil
            let readSet = try body.readReadSet()
            let n = try body.readCount()
            var writes: [DocumentWrite] = []
            writes.reserveCapacity(n)
            for _ in 0..<n {
                let id = try body.readDocumentID()
                let kind = try body.readUInt8()
                guard kind <= 2 else { throw ProtocolError.malformed("write kind \(kind)") }
                writes.append(DocumentWrite(id: id, value: kind == 0 ? nil : try body.readValue(), isInsert: kind == 2))
            }
            let receipt = try body.readBool()
                ? CommitReceipt(key: try body.readIdempotencyKey(), outcome: try body.readLengthPrefixedBytes(), isRetry: try body.readBool())
                : nil
            let priority = try body.readBool() ? CommitPriority(since: try body.readUInt64(), token: try body.readUInt64()) : nil
            self = .commit(CommitRequest(beginTs: beginTs, readSet: readSet, writes: writes, receipt: receipt, priority: priority))
        case .receipt:
            self = .receipt(try body.readIdempotencyKey())
        case .subscribe:
            let id = try body.readVarUInt()
            let ts = try body.readUInt64()
            self = .subscribe(SubscribeRequest(id: id, ts: ts, readSet: try body.readReadSet()))
        case .unsubscribe:
            let n = try body.readCount()
            var ids: [UInt64] = []
            for _ in 0..<n { ids.append(try body.readVarUInt()) }
            self = .unsubscribe(ids: ids)
        default:
            throw ProtocolError.malformed("kind \(kind) is not a storage request")
        }
        guard body.readableBytes == 0 else { throw ProtocolError.malformed("\(body.readableBytes) trailing bytes in \(kind)") }
    }
}
