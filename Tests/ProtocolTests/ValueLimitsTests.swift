import XCTest

@testable import Protocol

/// Value limits and document rules (docs/values-and-ids.md and docs/limits.md).
final class ValueLimitsTests: XCTestCase {
    private func document(_ fields: [String: Value] = [:]) -> Value {
        var all = fields
        if all["_id"] == nil { all["_id"] = .string("z43zp6c3e75gkmz1kfwj6mbbx5sw281h") }
        if all["_creationTime"] == nil { all["_creationTime"] = .float64(1_700_000_000_000.5) }
        return .object(all)
    }

    private func assertNotADocument(_ value: Value, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try value.validateDocument(), file: file, line: line) { error in
            guard case .notADocument = error as? ValueError else { return XCTFail("got \(error)", file: file, line: line) }
        }
    }

    // MARK: Size accounting

    func testSizeFollowsTheSpecAccounting() {
        XCTAssertEqual(Value.null.size, 1)
        XCTAssertEqual(Value.int64(.max).size, 9)
        XCTAssertEqual(Value.float64(.nan).size, 9)
        XCTAssertEqual(Value.boolean(true).size, 1)
        XCTAssertEqual(Value.string("").size, 2)
        XCTAssertEqual(Value.string("abc").size, 5)
        XCTAssertEqual(Value.string("é").size, 4)  // UTF-8 bytes, not characters
        XCTAssertEqual(Value.string("😀").size, 6)
        XCTAssertEqual(Value.bytes([1, 2, 3]).size, 5)
        XCTAssertEqual(Value.array([]).size, 2)
        XCTAssertEqual(Value.array([.null, .int64(1)]).size, 12)
        XCTAssertEqual(Value.object([:]).size, 2)
        XCTAssertEqual(Value.object(["ab": .null]).size, 6)
        XCTAssertEqual(Value.object(["ab": .array([.string("x")]), "c": .boolean(false)]).size, 2 + (2 + 1 + 5) + (1 + 1 + 1))
    }

    func testDepthCountsContainers() {
        XCTAssertEqual(Value.int64(1).depth, 0)
        XCTAssertEqual(Value.array([]).depth, 1)
        XCTAssertEqual(Value.object([:]).depth, 1)
        XCTAssertEqual(Value.array([.int64(1), .array([.object(["a": .null])])]).depth, 3)
        XCTAssertEqual(nested(10, objects: true).depth, 10)
    }

    func testValueAtMaximumSizeIsAcceptedAndOneByteMoreIsRejected() throws {
        let exact = Value.string(String(repeating: "x", count: ValueLimits.maxValueSize - 2))
        XCTAssertEqual(exact.size, 32 << 20)
        XCTAssertNoThrow(try exact.validate())
        let over = Value.bytes([UInt8](repeating: 0, count: ValueLimits.maxValueSize - 1))
        XCTAssertThrowsError(try over.validate(), equalTo: ValueError.tooLarge(size: ValueLimits.maxValueSize + 1, limit: ValueLimits.maxValueSize))
    }

    func testCustomSizeLimit() {
        let value = Value.array([.string("abc"), .int64(1)])  // 2 + 5 + 9 = 16
        XCTAssertNoThrow(try value.validate(maxSize: 16))
        XCTAssertThrowsError(try value.validate(maxSize: 15), equalTo: ValueError.tooLarge(size: 16, limit: 15))
    }

    // MARK: Depth

    func testNestingUpToSixtyFourLevelsIsAccepted() {
        XCTAssertNoThrow(try nested(64).validate())
        XCTAssertNoThrow(try nested(64, objects: true).validate())
    }

    func testNestingBeyondSixtyFourLevelsIsRejected() {
        XCTAssertThrowsError(try nested(65).validate(), equalTo: ValueError.tooDeep(limit: 64))
        XCTAssertThrowsError(try nested(65, objects: true).validate(), equalTo: ValueError.tooDeep(limit: 64))
        XCTAssertThrowsError(try Value.array([.null, nested(64)]).validate(), equalTo: ValueError.tooDeep(limit: 64))
    }

    func testCustomDepthLimit() {
        XCTAssertNoThrow(try nested(3).validate(maxDepth: 3))
        XCTAssertThrowsError(try nested(4).validate(maxDepth: 3), equalTo: ValueError.tooDeep(limit: 3))
        XCTAssertNoThrow(try Value.int64(1).validate(maxDepth: 0))
        XCTAssertThrowsError(try Value.array([]).validate(maxDepth: 0), equalTo: ValueError.tooDeep(limit: 0))
    }

    // MARK: Field names

    func testFieldNameRules() {
        let valid = ["", "a", "_id", "_private", "a$", "with space", " ", "~", "!\"#%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
                     String(repeating: "k", count: 1024)]
        for name in valid { XCTAssertTrue(Value.isValidFieldName(name), name.debugDescription) }
        let invalid = ["$", "$a", "$integer", "a\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "a😀", "\u{A0}",
                       String(repeating: "k", count: 1025)]
        for name in invalid { XCTAssertFalse(Value.isValidFieldName(name), name.debugDescription) }
    }

    func testInvalidFieldNamesAreRejectedAtAnyDepth() {
        for bad in ["$a", "a\u{1}", "é", String(repeating: "k", count: 1025)] {
            XCTAssertThrowsError(try Value.object([bad: .null]).validate(), equalTo: ValueError.invalidFieldName(bad))
            XCTAssertThrowsError(try Value.array([.object(["ok": .object([bad: .null])])]).validate(), equalTo: ValueError.invalidFieldName(bad))
        }
        XCTAssertNoThrow(try Value.object(["_nested": .object(["_deeper": .null]), "": .null]).validate())
    }

    // MARK: Counts

    func testObjectsMayHave1024FieldsButNotMore() {
        var fields: [String: Value] = [:]
        for i in 0..<1024 { fields["f\(i)"] = .null }
        XCTAssertNoThrow(try Value.object(fields).validate())
        fields["one more"] = .null
        XCTAssertThrowsError(try Value.object(fields).validate(), equalTo: ValueError.tooManyFields(count: 1025, limit: 1024))
        XCTAssertThrowsError(try Value.array([.object(fields)]).validate(), equalTo: ValueError.tooManyFields(count: 1025, limit: 1024))
    }

    func testArraysMayHave8192ElementsButNotMore() {
        let full = [Value](repeating: .null, count: 8192)
        XCTAssertNoThrow(try Value.array(full).validate())
        XCTAssertThrowsError(try Value.array(full + [.null]).validate(), equalTo: ValueError.arrayTooLong(count: 8193, limit: 8192))
        XCTAssertThrowsError(try Value.object(["a": .array(full + [.null])]).validate(), equalTo: ValueError.arrayTooLong(count: 8193, limit: 8192))
    }

    func testRandomGeneratedValuesAreValid() {
        var gen = RandomValues(seed: 3)
        for _ in 0..<500 {
            let value = gen.value()
            XCTAssertNoThrow(try value.validate(), "\(value)")
        }
    }

    // MARK: Documents

    func testValidDocumentIsAccepted() {
        XCTAssertNoThrow(try document(["body": .string("hi"), "n": .int64(1), "nested": .object(["_ok": .null])]).validateDocument())
        XCTAssertNoThrow(try document().validateDocument())
    }

    func testDocumentMustBeAnObject() {
        for value: Value in [.null, .array([]), .string("x"), .int64(1)] { assertNotADocument(value) }
    }

    func testDocumentNeedsAStringID() {
        assertNotADocument(.object(["_creationTime": .float64(1.5)]))
        assertNotADocument(document(["_id": .int64(1)]))
        assertNotADocument(document(["_id": .bytes([1])]))
        assertNotADocument(document(["_id": .null]))
    }

    func testDocumentNeedsAPositiveFiniteFloatCreationTime() {
        assertNotADocument(.object(["_id": .string("x")]))
        for bad: Value in [.int64(1_700_000_000_000), .float64(0), .float64(-0.0), .float64(-1), .float64(.nan), .float64(.infinity),
                           .float64(-.infinity), .string("1.5"), .null] {
            assertNotADocument(document(["_creationTime": bad]))
        }
        XCTAssertNoThrow(try document(["_creationTime": .float64(.leastNonzeroMagnitude)]).validateDocument())
    }

    func testTopLevelUnderscoreFieldsOtherThanSystemFieldsAreRejected() {
        for name in ["_foo", "_", "_creationtime", "_ID"] {
            XCTAssertThrowsError(try document([name: .null]).validateDocument(), equalTo: ValueError.invalidFieldName(name))
        }
        XCTAssertNoThrow(try document(["foo": .object(["_foo": .null])]).validateDocument())
    }

    func testDocumentFieldNamesFollowTheGeneralRules() {
        XCTAssertThrowsError(try document(["$foo": .null]).validateDocument(), equalTo: ValueError.invalidFieldName("$foo"))
        XCTAssertThrowsError(try document(["a": .object(["b\n": .null])]).validateDocument(), equalTo: ValueError.invalidFieldName("b\n"))
    }

    func testDocumentDepthLimitIsSixteen() {
        // The document itself is the first level.
        XCTAssertNoThrow(try document(["deep": nested(15)]).validateDocument())
        XCTAssertThrowsError(try document(["deep": nested(16)]).validateDocument(), equalTo: ValueError.documentTooNested(depth: 17, limit: 16))
        XCTAssertEqual(ValueError.documentTooNested(depth: 17, limit: 16).description, "Document is too nested (nested 17 levels deep > maximum nesting 16)")
    }

    func testDocumentSizeLimitIsOneMiBIncludingSystemFields() throws {
        let base = document(["pad": .string("")])
        let padding = ValueLimits.maxDocumentSize - base.size
        let exact = document(["pad": .string(String(repeating: "x", count: padding))])
        XCTAssertEqual(exact.size, 1 << 20)
        XCTAssertNoThrow(try exact.validateDocument())
        let over = document(["pad": .string(String(repeating: "x", count: padding + 1))])
        XCTAssertThrowsError(try over.validateDocument(), equalTo: ValueError.tooLarge(size: (1 << 20) + 1, limit: 1 << 20))
    }

    // MARK: Identifiers

    func testIdentifierRules() {
        for name in ["messages", "_storage", "a", "A1_b", "_a", String(repeating: "t", count: 64)] {
            XCTAssertTrue(Value.isValidIdentifier(name), name)
        }
        for name in ["", "_", "___", "1a", "a-b", "a b", "é", "a.b", "$a", String(repeating: "t", count: 65)] {
            XCTAssertFalse(Value.isValidIdentifier(name), name)
        }
    }

    // MARK: Equality and hashing

    func testEqualityDistinguishesZerosAndMatchesNaNs() {
        XCTAssertNotEqual(Value.float64(0.0), Value.float64(-0.0))
        XCTAssertEqual(Value.float64(.nan), Value.float64(.nan))
        XCTAssertNotEqual(Value.int64(1), Value.float64(1))
        XCTAssertEqual(Set<Value>([.float64(.nan), .float64(.nan), .float64(0.0), .float64(-0.0)]).count, 3)
    }
}
