import NIOCore

extension ByteBuffer {
    mutating func writeDocumentID(_ id: DocumentID) {
        writeInteger(id.tableNumber)
        writeBytes(id.internalID.bytes)
    }

    mutating func readDocumentID() throws -> DocumentID {
        let table = try readUInt32()
        guard let bytes = readBytes(length: 16) else { throw ProtocolError.truncated("document ID") }
        return DocumentID(tableNumber: table, internalID: InternalID(bytes: bytes)!)
    }

    mutating func writeOptionalBytes(_ bytes: [UInt8]?) {
        writeBool(bytes != nil)
        if let bytes { writeLengthPrefixed(bytes) }
    }

    mutating func readOptionalBytes() throws -> [UInt8]? {
        try readBool() ? try readLengthPrefixedBytes() : nil
    }

    mutating func writeIdempotencyKey(_ key: IdempotencyKey) {
        writeLengthPrefixed(key.bytes)
    }

    mutating func readIdempotencyKey() throws -> IdempotencyKey {
        let bytes = try readLengthPrefixedBytes()
        guard (1...64).contains(bytes.count) else { throw ProtocolError.malformed("idempotency key of \(bytes.count) bytes") }
        return IdempotencyKey(bytes: bytes)
    }

    mutating func writeKeyInterval(_ interval: KeyInterval) {
        writeLengthPrefixed(interval.start)
        writeOptionalBytes(interval.end)
    }

    mutating func readKeyInterval() throws -> KeyInterval {
        KeyInterval(start: try readLengthPrefixedBytes(), end: try readOptionalBytes())
    }

    mutating func writeReadSet(_ readSet: ReadSet) {
        writeVarUInt(UInt64(readSet.intervals.count))
        for (index, intervals) in readSet.intervals {
            writeVarUInt(index)
            writeVarUInt(UInt64(intervals.count))
            for interval in intervals { writeKeyInterval(interval) }
        }
    }

    mutating func readReadSet() throws -> ReadSet {
        var readSet = ReadSet()
        for _ in 0..<(try readCount()) {
            let index = try readVarUInt()
            var intervals: [KeyInterval] = []
            for _ in 0..<(try readCount(minimumElementSize: 2)) { intervals.append(try readKeyInterval()) }
            readSet.intervals[index, default: []].append(contentsOf: intervals)
        }
        return readSet
    }

    mutating func writeStoredDocument(_ doc: StoredDocument) {
        writeDocumentID(doc.id)
        writeInteger(doc.ts)
        writeValue(doc.value)
    }

    mutating func readStoredDocument() throws -> StoredDocument {
        StoredDocument(id: try readDocumentID(), ts: try readUInt64(), value: try readValue())
    }

    mutating func writeTableInfo(_ t: TableInfo) {
        writeLengthPrefixedString(t.name)
        writeInteger(t.number)
    }

    mutating func readTableInfo() throws -> TableInfo {
        TableInfo(name: try readLengthPrefixedString(), number: try readUInt32())
    }

    mutating func writeIndexInfo(_ i: IndexInfo) {
        writeVarUInt(i.id)
        writeInteger(i.tableNumber)
        writeLengthPrefixedString(i.name)
        writeVarUInt(UInt64(i.fields.count))
        for f in i.fields { writeLengthPrefixedString(f) }
        writeInteger(i.state.rawValue)
    }

    mutating func readIndexInfo() throws -> IndexInfo {
        let id = try readVarUInt()
        let table = try readUInt32()
        let name = try readLengthPrefixedString()
        var fields: [String] = []
        for _ in 0..<(try readCount()) { fields.append(try readLengthPrefixedString()) }
        guard let state = IndexInfo.State(rawValue: try readUInt8()) else { throw ProtocolError.malformed("index state") }
        return IndexInfo(id: id, tableNumber: table, name: name, fields: fields, state: state)
    }
}
