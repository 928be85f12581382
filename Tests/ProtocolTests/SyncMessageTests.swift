import Protocol
import XCTest

/// The sync protocol's messages against the frames the spec captured from the official Python client.
final class SyncMessageTests: XCTestCase {
    func testTimestampsAreBase64OfLittleEndianBytes() {
        XCTAssertEqual(SyncTimestamp.encode(0), "AAAAAAAAAAA=")
        XCTAssertEqual(SyncTimestamp.encode(1000), "6AMAAAAAAAA=")
        XCTAssertEqual(SyncTimestamp.encode(2000), "0AcAAAAAAAA=")
        XCTAssertEqual(SyncTimestamp.decode("0AcAAAAAAAA="), 2000)
        XCTAssertNil(SyncTimestamp.decode("AAAA"), "exactly 8 bytes")
        XCTAssertNil(SyncTimestamp.decode(SyncTimestamp.encode(UInt64(Int64.max) + 1)), "at most i64::MAX")
    }

    func testCapturedConnectFramesParse() throws {
        let first = try SyncClientMessage(json: #"{"type":"Connect","sessionId":"fc91a27c-c064-422f-aa09-c8d1f868c737","connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":0}"#)
        guard case .connect(let connect) = first else { return XCTFail("\(first)") }
        XCTAssertEqual(connect.sessionId, "fc91a27c-c064-422f-aa09-c8d1f868c737")
        XCTAssertEqual(connect.connectionCount, 0)
        XCTAssertNil(connect.maxObservedTimestamp)
        let again = try SyncClientMessage(json: #"{"type":"Connect","sessionId":"f7b9a74b","connectionCount":1,"lastCloseReason":"InternalServerError","maxObservedTimestamp":"0AcAAAAAAAA=","clientTs":0}"#)
        guard case .connect(let reconnect) = again else { return XCTFail("\(again)") }
        XCTAssertEqual(reconnect.maxObservedTimestamp, 2000)
        XCTAssertEqual(reconnect.lastCloseReason, "InternalServerError")
    }

    func testCapturedQuerySetMutationActionAndAuthFramesParse() throws {
        let add = try SyncClientMessage(json: #"{"modifications":[{"args":[{"a":1.0}],"type":"Add","queryId":0,"udfPath":"messages:list"}],"type":"ModifyQuerySet","baseVersion":0,"newVersion":1}"#)
        XCTAssertEqual(add, .modifyQuerySet(baseVersion: 0, newVersion: 1, modifications: [.add(queryId: 0, udfPath: "messages:list", args: [["a": 1.0]], journal: nil, componentPath: nil)]))
        let remove = try SyncClientMessage(json: #"{"modifications":[{"type":"Remove","queryId":0}],"type":"ModifyQuerySet","baseVersion":1,"newVersion":2}"#)
        XCTAssertEqual(remove, .modifyQuerySet(baseVersion: 1, newVersion: 2, modifications: [.remove(queryId: 0)]))
        let mutation = try SyncClientMessage(json: #"{"args":[{"body":"hello"}],"type":"Mutation","requestId":0,"udfPath":"messages:send"}"#)
        XCTAssertEqual(mutation, .mutation(requestId: 0, udfPath: "messages:send", args: [["body": "hello"]], componentPath: nil))
        let action = try SyncClientMessage(json: #"{"args":[{"x":true,"i":{"$integer":"BQAAAAAAAAA="}}],"type":"Action","requestId":1,"udfPath":"actions:doit"}"#)
        XCTAssertEqual(action, .action(requestId: 1, udfPath: "actions:doit", args: [["x": true, "i": .int64(5)]], componentPath: nil))
        let admin = try SyncClientMessage(json: #"{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":"x"}"#)
        XCTAssertEqual(admin, .authenticate(baseVersion: 0, token: .admin(key: "x", actingAs: nil)))
        let none = try SyncClientMessage(json: #"{"type":"Authenticate","baseVersion":2,"tokenType":"None"}"#)
        XCTAssertEqual(none, .authenticate(baseVersion: 2, token: .none))
    }

    func testMalformedClientMessagesAreRejected() {
        for bad in [
            "not json",
            #"{"type":"Nope"}"#,
            #"{"type":"Mutation","requestId":-1,"udfPath":"a:b","args":[]}"#,
            #"{"type":"Mutation","requestId":1.5,"udfPath":"a:b","args":[]}"#,
            #"{"type":"Mutation","requestId":1,"args":[]}"#,
            #"{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1}"#,
            #"{"type":"Connect","sessionId":"s","connectionCount":0,"lastCloseReason":"x","maxObservedTimestamp":"AAAA"}"#,
            #"{"type":"Authenticate","baseVersion":0,"tokenType":"Root","value":"x"}"#,
        ] {
            XCTAssertThrowsError(try SyncClientMessage(json: bad), bad)
        }
    }

    func testTransitionIsWrittenWithIntegerVersionsAndBase64Timestamps() throws {
        let transition = SyncServerMessage.transition(
            start: .initial, end: StateVersion(querySet: 1, identity: 0, ts: 1000),
            modifications: [.updated(queryId: 0, valueJSON: "[]", logLines: ["[LOG] ran messages:list"], journal: nil)], serverTs: nil)
        XCTAssertEqual(transition.json, #"{"type":"Transition","startVersion":{"querySet":0,"identity":0,"ts":"AAAAAAAAAAA="},"endVersion":{"querySet":1,"identity":0,"ts":"6AMAAAAAAAA="},"modifications":[{"type":"QueryUpdated","queryId":0,"value":[],"logLines":["[LOG] ran messages:list"],"journal":null}],"clientClockSkew":null,"serverTs":null}"#)
    }

    func testMutationResponsesMatchTheCapturedShapes() {
        let success = SyncServerMessage.mutationResponse(requestId: 0, outcome: .success(["ok": true, "count": 1.0]), ts: 2000, logLines: [])
        XCTAssertEqual(success.json, #"{"type":"MutationResponse","requestId":0,"success":true,"result":{"count":1.0,"ok":true},"ts":"0AcAAAAAAAA=","logLines":[]}"#)
        let failure = SyncServerMessage.mutationResponse(requestId: 2, outcome: .failure(message: "boom", errorData: ["code": 42.0]), ts: nil, logLines: [])
        XCTAssertEqual(failure.json, #"{"type":"MutationResponse","requestId":2,"success":false,"result":"boom","errorData":{"code":42.0},"ts":null,"logLines":[]}"#)
        let plain = SyncServerMessage.actionResponse(requestId: 1, outcome: .failure(message: "Server Error", errorData: nil), logLines: [])
        XCTAssertFalse(plain.json.contains("errorData"), "errorData only for a ConvexError, never as null")
        let int = SyncServerMessage.actionResponse(requestId: 1, outcome: .success(.int64(7)), logLines: [])
        XCTAssertEqual(int.json, #"{"type":"ActionResponse","requestId":1,"success":true,"result":{"$integer":"BwAAAAAAAAA="},"logLines":[]}"#)
    }

    func testQueryFailedCarriesErrorDataOnlyForConvexErrors() {
        let failed = SyncServerMessage.transition(start: .initial, end: .initial, modifications: [
            .failed(queryId: 3, message: "Server Error", logLines: [], journal: nil, errorData: nil),
            .failed(queryId: 4, message: "Uncaught ConvexError", logLines: [], journal: nil, errorData: .null),
            .removed(queryId: 5),
        ], serverTs: 12)
        let json = failed.json
        XCTAssertTrue(json.contains(#"{"type":"QueryFailed","queryId":3,"errorMessage":"Server Error","logLines":[],"journal":null}"#), json)
        XCTAssertTrue(json.contains(#""queryId":4,"errorMessage":"Uncaught ConvexError","logLines":[],"journal":null,"errorData":null}"#), json)
        XCTAssertTrue(json.contains(#"{"type":"QueryRemoved","queryId":5}"#), json)
        XCTAssertTrue(json.hasSuffix(#""serverTs":12}"#), json)
    }

    func testFunctionPathsCanonicalize() {
        XCTAssertEqual(CanonicalFunctionPath("messages:list"), CanonicalFunctionPath(module: "messages.js", function: "list"))
        XCTAssertEqual(CanonicalFunctionPath("messages.js:list"), CanonicalFunctionPath(module: "messages.js", function: "list"))
        XCTAssertEqual(CanonicalFunctionPath("dir/sub/mod"), CanonicalFunctionPath(module: "dir/sub/mod.js", function: "default"))
        XCTAssertEqual(CanonicalFunctionPath("messages:list")?.displayName, "messages:list")
        XCTAssertEqual(CanonicalFunctionPath("my-dir/Mod_2:list")?.module, "my-dir/Mod_2.js")
        XCTAssertEqual(CanonicalFunctionPath("nachrichten/größe:list")?.module, "nachrichten/größe.js", "letters beyond ASCII are letters")
        for bad in ["", ":list", "/abs:list", "messages.ts:list", "a/../b:c", "a/./b:c", "a b:c", "a$b:c", "größe€:c", "messages:", "messages:1x", "dir/:x"] {
            XCTAssertNil(CanonicalFunctionPath(bad), bad)
        }
    }
}
