import ConvergeTestSupport
import NIOCore
import XCTest

@testable import Protocol

/// Storage requests and responses: every case round-trips, and malformed bodies throw instead of trapping.
final class StorageMessageCodecTests: XCTestCase {
    // MARK: Fixtures

    private func sampleIDs(_ count: Int, seed: UInt64 = 1) -> [DocumentID] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let table: UInt32 = [1, 513, 10001, .max][i % 4]
            return DocumentID.generate(tableNumber: table, nowMillis: 1.7e12, using: &rng)
        }
    }

    private func sampleDocument(_ i: Int, seed: UInt64 = 2) -> StoredDocument {
        var gen = RandomValues(seed: seed &+ UInt64(i))
        let id = sampleIDs(1, seed: seed &+ UInt64(i))[0]
        let value: Value = .object([
            "_id": .string(id.description), "_creationTime": .float64(1.7e12 + Double(i) + 0.5), "body": gen.value(),
            "n": .int64(Int64(i) - 3),
        ])
        return StoredDocument(id: id, ts: [0, 1, .max, 1_700_000_000_000_000_000][i % 4], value: value)
    }

    private var sampleReadSet: ReadSet {
        var readSet = ReadSet()
        readSet.add(.all, index: 1)
        readSet.add(.point(IndexKey([.string("a"), .int64(1)])), index: 1)
        readSet.add(.prefix([.string("a\u{0}")]), index: 42)
        readSet.add(.range(lower: IndexBound([.float64(-0.0)], inclusive: false), upper: nil), index: .max)
        readSet.add(KeyInterval(start: [], end: []), index: 0)
        return readSet
    }

    private var allRequests: [StorageRequest] {
        let ids = sampleIDs(5)
        return [
            .latestTimestamp,
            .catalog,
            .createTable(name: "messages"),
            .createTable(name: ""),
            .createTable(name: "tablé_😀"),
            .createIndex(table: "messages", name: "by_author", fields: ["author", "meta.ts"]),
            .createIndex(table: "t", name: "by_nothing", fields: []),
            .dropIndex(table: "messages", name: "by_author"),
            .get(ts: 123, ids: ids),
            .get(ts: .max, ids: []),
            .scan(ScanRequest(ts: 5, index: 7, interval: .prefix([.string("x")]), order: .ascending, limit: 100)),
            .scan(ScanRequest(ts: .max, index: .max, interval: .all, order: .descending, limit: 0, cursor: [])),
            .scan(ScanRequest(ts: 0, index: 0, interval: KeyInterval(start: [0, 0xFF], end: [0xFF]), order: .descending,
                              limit: Int(Int32.max), cursor: IndexKey([.string("a"), .bytes([0, 0xFF])]).bytes)),
            .commit(CommitRequest(beginTs: 99, readSet: sampleReadSet, writes: [
                DocumentWrite(id: ids[0], value: sampleDocument(0).value),
                DocumentWrite(id: ids[1], value: nil),
                DocumentWrite(id: ids[2], value: .object([:]), isInsert: true),
            ])),
            .commit(CommitRequest(beginTs: 0, readSet: ReadSet(), writes: [])),
            .commit(CommitRequest(beginTs: nil, readSet: ReadSet(), writes: [DocumentWrite(id: ids[2], value: .object([:]), isInsert: true)])),
            .commit(CommitRequest(beginTs: 5, readSet: ReadSet(), writes: [],
                                  receipt: CommitReceipt(key: IdempotencyKey(bytes: Array(0..<16)), outcome: [1, 2]))),
            .commit(CommitRequest(beginTs: 6, readSet: ReadSet(), writes: [],
                                  receipt: CommitReceipt(key: IdempotencyKey(bytes: Array(0..<16)), outcome: [], isRetry: true))),
            .commit(CommitRequest(beginTs: 7, readSet: sampleReadSet, writes: [], priority: CommitPriority(since: .max, token: 1))),
            .subscribe(SubscribeRequest(id: 7, ts: 1234, readSet: sampleReadSet)),
            .subscribe(SubscribeRequest(id: .max, ts: 0, readSet: ReadSet())),
            .unsubscribe(ids: [1, 2, 300, .max, 0]),
            .unsubscribe(ids: []),
            .receipt(IdempotencyKey(bytes: [7, 7, 7])),
        ]
    }

    private var allResponses: [StorageResponse] {
        let tables = [TableInfo(name: "messages", number: 10001), TableInfo(name: "_tables", number: 513), TableInfo(name: "", number: .max)]
        let indexes = [
            IndexInfo(id: 1, tableNumber: 10001, name: IndexInfo.byID, fields: ["_id"], state: .ready),
            IndexInfo(id: .max, tableNumber: 10001, name: "by_author", fields: ["author", "meta.ts"], state: .backfilling),
            IndexInfo(id: 0, tableNumber: 0, name: "", fields: [], state: .ready),
        ]
        var responses: [StorageResponse] = [
            .timestamp(0, catalogTs: 0),
            .timestamp(.max, catalogTs: 7),
            .catalog(Catalog(tables: [], indexes: [])),
            .catalog(Catalog(tables: tables, indexes: indexes)),
            .table(tables[0]),
            .index(indexes[0]),
            .index(indexes[1]),
            .documents([]),
            .documents([sampleDocument(0), nil, sampleDocument(1), nil, nil, sampleDocument(2)]),
            .documents([nil]),
            .scanPage(ScanPage(entries: [], cursor: nil)),
            .scanPage(ScanPage(entries: [], cursor: [])),
            .scanPage(ScanPage(entries: (0..<4).map { ScanEntry(key: IndexKey([.int64(Int64($0))]).bytes, document: sampleDocument($0)) },
                               cursor: [1, 2, 0xFF])),
            .commit(.committed(0)),
            .commit(.committed(.max)),
            .commit(.conflict(table: "messages")),
            .commit(.conflict(table: "")),
            .commit(.alreadyCommitted(ts: 42, outcome: [])),
            .commit(.alreadyCommitted(ts: .max, outcome: [0, 255])),
            .done,
            .invalidated(Invalidation(subscriptionIDs: [], ts: 5)),
            .invalidated(Invalidation(subscriptionIDs: [1, .max, 127, 128], ts: .max)),
        ]
        for code in [StorageError.Code.badRequest, .notFound, .timestampTooOld, .limitExceeded, .internalError, .unavailable] {
            responses.append(.error(StorageError(code, "message for \(code) é")))
        }
        return responses
    }

    /// Through the wire: frame, write, parse the bytes back into a frame, decode.
    private func overTheWire(_ frame: Frame) throws -> Frame {
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        let parsed = try XCTUnwrap(try FrameDecoder.parse(&buffer, maxFrameSize: Frame.defaultMaxSize))
        XCTAssertEqual(buffer.readableBytes, 0)
        return parsed
    }

    private func withBody(_ frame: Frame, _ bytes: [UInt8]) -> Frame {
        Frame(kind: frame.kind, requestID: frame.requestID, body: ByteBuffer(bytes: bytes))
    }

    // MARK: Round trips

    func testEveryRequestRoundTrips() throws {
        for (i, request) in allRequests.enumerated() {
            let requestID = UInt64(i) * 0x0101_0101_0101 + 1
            let frame = request.frame(requestID: requestID)
            XCTAssertEqual(frame.kind, request.kind.rawValue)
            XCTAssertEqual(frame.requestID, requestID)
            XCTAssertEqual(try StorageRequest(frame: frame), request)
            let wire = try overTheWire(frame)
            XCTAssertEqual(wire.requestID, requestID)
            XCTAssertEqual(try StorageRequest(frame: wire), request)
        }
    }

    func testEveryResponseRoundTrips() throws {
        for (i, response) in allResponses.enumerated() {
            let requestID = UInt64.max - UInt64(i)
            let frame = response.frame(requestID: requestID)
            XCTAssertEqual(frame.kind, response.kind.rawValue)
            XCTAssertEqual(frame.requestID, requestID)
            XCTAssertEqual(try StorageResponse(frame: frame), response)
            let wire = try overTheWire(frame)
            XCTAssertEqual(wire.requestID, requestID)
            XCTAssertEqual(try StorageResponse(frame: wire), response)
        }
    }

    func testEveryRequestAndResponseKindIsCovered() {
        let requestKinds = Set(allRequests.map(\.kind.rawValue))
        let responseKinds = Set(allResponses.map(\.kind.rawValue))
        XCTAssertEqual(requestKinds, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
        XCTAssertEqual(responseKinds, [64, 65, 66, 67, 68, 69, 70, 71, 72, 96])
    }

    func testCommitWithRandomDocumentValuesRoundTrips() throws {
        var gen = RandomValues(seed: 2024)
        let ids = sampleIDs(50, seed: 9)
        let writes = ids.map { DocumentWrite(id: $0, value: gen.chance(20) ? Value?.none : gen.value()) }
        XCTAssertTrue(writes.contains { $0.value == nil }, "some writes should be deletes")
        let request = StorageRequest.commit(CommitRequest(beginTs: 1, readSet: sampleReadSet, writes: writes))
        XCTAssertEqual(try StorageRequest(frame: try overTheWire(request.frame(requestID: 3))), request)
    }

    func testDocumentIDsKeepTableAndInternalIDThroughGet() throws {
        let ids = sampleIDs(8)
        guard case .get(_, let back) = try StorageRequest(frame: StorageRequest.get(ts: 1, ids: ids).frame(requestID: 1)) else {
            return XCTFail("not a get")
        }
        XCTAssertEqual(back.map(\.tableNumber), ids.map(\.tableNumber))
        XCTAssertEqual(back.map(\.description), ids.map(\.description))
    }

    // MARK: Truncation and trailing bytes

    func testEveryTruncatedRequestBodyThrows() {
        for request in allRequests {
            let frame = request.frame(requestID: 1)
            let body = frame.body.bytesView
            for n in 0..<body.count {
                XCTAssertThrowsProtocolError(try StorageRequest(frame: withBody(frame, Array(body[0..<n]))), "\(request.kind) cut to \(n) of \(body.count)")
            }
        }
    }

    func testEveryTruncatedResponseBodyThrows() {
        for response in allResponses {
            let frame = response.frame(requestID: 1)
            let body = frame.body.bytesView
            for n in 0..<body.count {
                XCTAssertThrowsProtocolError(try StorageResponse(frame: withBody(frame, Array(body[0..<n]))), "\(response.kind) cut to \(n) of \(body.count)")
            }
        }
    }

    func testTrailingBytesAreRejected() {
        for request in allRequests {
            let frame = request.frame(requestID: 1)
            XCTAssertThrowsError(try StorageRequest(frame: withBody(frame, frame.body.bytesView + [0])), "\(request.kind)") { error in
                guard case .malformed = error as? ProtocolError else { return XCTFail("got \(error)") }
            }
        }
        for response in allResponses {
            let frame = response.frame(requestID: 1)
            XCTAssertThrowsError(try StorageResponse(frame: withBody(frame, frame.body.bytesView + [0, 0])), "\(response.kind)") { error in
                guard case .malformed = error as? ProtocolError else { return XCTFail("got \(error)") }
            }
        }
    }

    // MARK: Kinds

    func testUnknownKindsThrowUnknownMessageKind() {
        for kind: UInt8 in [0, 4, 9, 21, 63, 73, 95, 97, 200, 255] {
            let frame = Frame(kind: kind, requestID: 1, body: ByteBuffer())
            XCTAssertThrowsError(try StorageRequest(frame: frame), equalTo: ProtocolError.unknownMessageKind(kind))
            XCTAssertThrowsError(try StorageResponse(frame: frame), equalTo: ProtocolError.unknownMessageKind(kind))
        }
    }

    func testKnownKindsOfTheOtherDirectionAreRejected() {
        for response in allResponses {
            XCTAssertThrowsProtocolError(try StorageRequest(frame: response.frame(requestID: 1)), "\(response.kind) as a request")
        }
        for request in allRequests {
            XCTAssertThrowsProtocolError(try StorageResponse(frame: request.frame(requestID: 1)), "\(request.kind) as a response")
        }
        for kind in [MessageKind.challenge, .hello, .welcome] {
            let frame = Frame(kind: kind.rawValue, requestID: 0, body: ByteBuffer())
            XCTAssertThrowsProtocolError(try StorageRequest(frame: frame))
            XCTAssertThrowsProtocolError(try StorageResponse(frame: frame))
        }
    }

    // MARK: Lying counts and bad enum bytes

    private func body(_ build: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBuffer()
        build(&buffer)
        return buffer
    }

    func testHugeCountsWithFewBytesThrowInsteadOfAllocating() {
        let huge: [UInt64] = [UInt64.max, 1 << 62, 1 << 40, UInt64(Int.max), 1000]
        for count in huge {
            let requests: [(MessageKind, ByteBuffer)] = [
                (.get, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(count); $0.writeBytes([1, 2, 3]) }),
                (.unsubscribe, body { $0.writeVarUInt(count); $0.writeBytes([1, 2]) }),
                (.createIndex, body { $0.writeLengthPrefixedString("t"); $0.writeLengthPrefixedString("i"); $0.writeVarUInt(count) }),
                (.createTable, body { $0.writeVarUInt(count); $0.writeBytes([0x61]) }),
                (.commit, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(count) }),
                (.commit, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(0); $0.writeVarUInt(count); $0.writeBytes([0, 0]) }),
                (.commit, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeVarUInt(5); $0.writeVarUInt(count) }),
                (.subscribe, body { $0.writeVarUInt(1); $0.writeInteger(UInt64(1)); $0.writeVarUInt(count) }),
                (.scan, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeVarUInt(count) }),
            ]
            for (kind, b) in requests {
                XCTAssertThrowsProtocolError(try StorageRequest(frame: Frame(kind: kind.rawValue, requestID: 1, body: b)), "\(kind) count \(count)")
            }
            let responses: [(MessageKind, ByteBuffer)] = [
                (.catalogResult, body { $0.writeVarUInt(count); $0.writeBytes([1]) }),
                (.catalogResult, body { $0.writeVarUInt(0); $0.writeVarUInt(count) }),
                (.documentsResult, body { $0.writeVarUInt(count); $0.writeBytes([0, 0, 0]) }),
                (.scanResult, body { $0.writeVarUInt(count) }),
                (.invalidated, body { $0.writeInteger(UInt64(1)); $0.writeVarUInt(count); $0.writeBytes([1]) }),
                (.error, body { $0.writeInteger(UInt8(1)); $0.writeVarUInt(count) }),
                (.tableResult, body { $0.writeVarUInt(count); $0.writeBytes([0x61, 0, 0, 0, 1]) }),
            ]
            for (kind, b) in responses {
                XCTAssertThrowsProtocolError(try StorageResponse(frame: Frame(kind: kind.rawValue, requestID: 1, body: b)), "\(kind) count \(count)")
            }
        }
    }

    func testHugeCountInsideACommittedValueThrows() {
        let ids = sampleIDs(1)
        for tag: UInt8 in [5, 6, 7, 8] {  // string, bytes, array, object
            let b = body {
                $0.writeBool(true)  // has a begin timestamp
                $0.writeInteger(UInt64(1))
                $0.writeVarUInt(0)  // empty read set
                $0.writeVarUInt(1)  // one write
                $0.writeInteger(ids[0].tableNumber)
                $0.writeBytes(ids[0].internalID.bytes)
                $0.writeBool(true)
                $0.writeInteger(tag)
                $0.writeVarUInt(UInt64.max >> 1)
                $0.writeBytes([0, 0, 0])
            }
            XCTAssertThrowsProtocolError(try StorageRequest(frame: Frame(kind: MessageKind.commit.rawValue, requestID: 1, body: b)), "value tag \(tag)")
        }
    }

    func testOverlongVarIntThrows() {
        let b = body { $0.writeBytes([UInt8](repeating: 0xFF, count: 11) + [0x01]) }
        XCTAssertThrowsProtocolError(try StorageRequest(frame: Frame(kind: MessageKind.unsubscribe.rawValue, requestID: 1, body: b)))
        let b2 = body { $0.writeBytes([UInt8](repeating: 0xFF, count: 9) + [0x02]) }  // bit 64 set
        XCTAssertThrowsProtocolError(try StorageRequest(frame: Frame(kind: MessageKind.unsubscribe.rawValue, requestID: 1, body: b2)))
    }

    func testVarIntRoundTripsAtEveryWidth() throws {
        for v: UInt64 in [0, 1, 127, 128, 16383, 16384, 1 << 35, UInt64(Int64.max), .max - 1, .max] {
            var buffer = ByteBuffer()
            buffer.writeVarUInt(v)
            XCTAssertEqual(try buffer.readVarUInt(), v)
            XCTAssertEqual(buffer.readableBytes, 0)
        }
        var max = ByteBuffer()
        max.writeVarUInt(.max)
        XCTAssertEqual(max.bytesView, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    func testInvalidEnumBytesAreMalformed() {
        let doc = sampleDocument(0)
        let cases: [(String, () throws -> Any)] = [
            ("documents bool 2", { try StorageResponse(frame: Frame(kind: MessageKind.documentsResult.rawValue, requestID: 1, body: self.body {
                $0.writeVarUInt(1); $0.writeInteger(UInt8(2)); $0.writeStoredDocument(doc)
            })) }),
            ("index state 2", { try StorageResponse(frame: Frame(kind: MessageKind.indexResult.rawValue, requestID: 1, body: self.body {
                $0.writeVarUInt(1); $0.writeInteger(UInt32(1)); $0.writeLengthPrefixedString("i"); $0.writeVarUInt(0); $0.writeInteger(UInt8(2))
            })) }),
            ("commit result 3", { try StorageResponse(frame: Frame(kind: MessageKind.commitResult.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt8(3)); $0.writeInteger(UInt64(1))
            })) }),
            ("error code 0", { try StorageResponse(frame: Frame(kind: MessageKind.error.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt8(0)); $0.writeLengthPrefixedString("x")
            })) }),
            ("error code 99", { try StorageResponse(frame: Frame(kind: MessageKind.error.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt8(99)); $0.writeLengthPrefixedString("x")
            })) }),
            ("scan order 2", { try StorageRequest(frame: Frame(kind: MessageKind.scan.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeKeyInterval(.all); $0.writeInteger(UInt8(2)); $0.writeVarUInt(10); $0.writeBool(false)
            })) }),
            ("scan limit too big", { try StorageRequest(frame: Frame(kind: MessageKind.scan.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeKeyInterval(.all); $0.writeInteger(UInt8(0)); $0.writeVarUInt(.max); $0.writeBool(false)
            })) }),
            ("cursor flag 7", { try StorageRequest(frame: Frame(kind: MessageKind.scan.rawValue, requestID: 1, body: self.body {
                $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeKeyInterval(.all); $0.writeInteger(UInt8(0)); $0.writeVarUInt(10); $0.writeInteger(UInt8(7))
            })) }),
            ("invalid UTF-8 table name", { try StorageRequest(frame: Frame(kind: MessageKind.createTable.rawValue, requestID: 1, body: self.body {
                $0.writeLengthPrefixed([0xC3, 0x28])
            })) }),
            ("bad value tag", { try StorageRequest(frame: Frame(kind: MessageKind.commit.rawValue, requestID: 1, body: self.body {
                $0.writeBool(true); $0.writeInteger(UInt64(1)); $0.writeVarUInt(0); $0.writeVarUInt(1); $0.writeDocumentID(doc.id); $0.writeBool(true); $0.writeInteger(UInt8(9))
            })) }),
        ]
        for (name, decode) in cases {
            XCTAssertThrowsError(try decode(), name) { error in
                XCTAssertEqual(error.protocolErrorKind, .malformed, "\(name): got \(error)")
            }
        }
    }

    func testSanityOfTheMalformedCaseBodies() throws {
        // The scan body used above decodes when its bytes are valid, so the failures there are about the bad byte.
        let valid = body {
            $0.writeInteger(UInt64(1)); $0.writeVarUInt(1); $0.writeKeyInterval(.all); $0.writeInteger(UInt8(1)); $0.writeVarUInt(10); $0.writeBool(false)
        }
        XCTAssertEqual(try StorageRequest(frame: Frame(kind: MessageKind.scan.rawValue, requestID: 1, body: valid)),
                       .scan(ScanRequest(ts: 1, index: 1, interval: .all, order: .descending, limit: 10)))
    }

    // MARK: Fuzz

    func testRandomBodiesNeverCrashTheDecoders() {
        var rng = SplitMix64(seed: 404)
        let kinds = (allRequests.map(\.kind.rawValue) + allResponses.map(\.kind.rawValue))
        var accepted = 0
        for _ in 0..<5000 {
            let kind = kinds[Int.random(in: 0..<kinds.count, using: &rng)]
            let length = Int.random(in: 0..<48, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let frame = Frame(kind: kind, requestID: 1, body: ByteBuffer(bytes: bytes))
            if (try? StorageRequest(frame: frame)) != nil { accepted += 1 }
            if (try? StorageResponse(frame: frame)) != nil { accepted += 1 }
        }
        XCTAssertLessThan(accepted, 5000)
    }

    func testMutatedValidBodiesNeverCrashTheDecoders() {
        var rng = SplitMix64(seed: 405)
        let requestFrames = allRequests.map { $0.frame(requestID: 1) }
        let responseFrames = allResponses.map { $0.frame(requestID: 1) }
        for round in 0..<4000 {
            let useRequest = round % 2 == 0
            let frames = useRequest ? requestFrames : responseFrames
            let frame = frames[Int.random(in: 0..<frames.count, using: &rng)]
            var bytes = frame.body.bytesView
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = [0x00, 0xFF, 0x80, 0x7F, UInt8.random(in: 0...255, using: &rng)][Int.random(in: 0..<5, using: &rng)]
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng)) }
            let mutated = withBody(frame, bytes)
            if useRequest { _ = try? StorageRequest(frame: mutated) } else { _ = try? StorageResponse(frame: mutated) }
        }
    }
}

extension ProtocolError {
    /// The case without its payload, for assertions that only care which kind of error it was.
    enum Kind { case truncated, malformed, frameTooLarge, unknownMessageKind, handshakeFailed, versionMismatch, connectionClosed, unexpectedAnswer }
}

extension Error {
    fileprivate var protocolErrorKind: ProtocolError.Kind? {
        guard let e = self as? ProtocolError else { return nil }
        switch e {
        case .truncated: return .truncated
        case .malformed: return .malformed
        case .frameTooLarge: return .frameTooLarge
        case .unknownMessageKind: return .unknownMessageKind
        case .handshakeFailed: return .handshakeFailed
        case .versionMismatch: return .versionMismatch
        case .connectionClosed: return .connectionClosed
        case .unexpectedAnswer: return .unexpectedAnswer
        }
    }
}
