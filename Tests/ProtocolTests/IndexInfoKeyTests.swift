import XCTest

@testable import Protocol

/// The key a document gets in an index: its indexed field values, then its `_id`.
final class IndexInfoKeyTests: XCTestCase {
    private let id = "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"

    private func index(_ fields: [String]) -> IndexInfo {
        IndexInfo(id: 1, tableNumber: 10001, name: "by_test", fields: fields, state: .ready)
    }

    func testKeyIsTheFieldValuesFollowedByTheID() {
        let doc: Value = .object(["_id": .string(id), "author": .string("ann"), "meta": .object(["ts": .int64(5)])])
        XCTAssertEqual(index(["author", "meta.ts"]).key(of: doc), IndexKey([.string("ann"), .int64(5), .string(id)]))
    }

    func testMissingFieldsAreUndefinedAndSortBeforeNull() {
        let missing: Value = .object(["_id": .string(id)])
        let null: Value = .object(["_id": .string(id), "author": .null])
        let notAnObject: Value = .object(["_id": .string(id), "meta": .int64(1)])
        XCTAssertEqual(index(["author"]).key(of: missing), IndexKey([nil, .string(id)]))
        XCTAssertEqual(index(["meta.ts"]).key(of: notAnObject), IndexKey([nil, .string(id)]))
        XCTAssertLessThan(index(["author"]).key(of: missing), index(["author"]).key(of: null))
    }

    func testIndexEndingInIDDoesNotRepeatIt() {
        let doc: Value = .object(["_id": .string(id), "a": .boolean(true)])
        XCTAssertEqual(index(["_id"]).key(of: doc), IndexKey([.string(id)]))
        XCTAssertEqual(index(["a", "_id"]).key(of: doc), IndexKey([.boolean(true), .string(id)]))
    }

    func testByIDKeyMatchesTheByIDIndexKeyOfTheDocument() throws {
        let documentID = try XCTUnwrap(DocumentID(id))
        let doc: Value = .object(["_id": .string(id), "_creationTime": .float64(1.5)])
        XCTAssertEqual(IndexInfo.byIDKey(documentID), index(["_id"]).key(of: doc))
    }

    func testKeysOfDocumentsOrderByFieldThenID() {
        let a: Value = .object(["_id": .string("b"), "n": .int64(1)])
        let b: Value = .object(["_id": .string("a"), "n": .int64(2)])
        let c: Value = .object(["_id": .string("b"), "n": .int64(2)])
        let i = index(["n"])
        XCTAssertLessThan(i.key(of: a), i.key(of: b))
        XCTAssertLessThan(i.key(of: b), i.key(of: c))
    }
}
