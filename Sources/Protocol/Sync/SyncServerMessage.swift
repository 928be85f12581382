/// A message from the server on the sync WebSocket (spec §1.4), written as the JSON text of one frame.
public enum SyncServerMessage: Hashable, Sendable {
    case transition(start: StateVersion, end: StateVersion, modifications: [QueryModification], serverTs: Timestamp?)
    case mutationResponse(requestId: UInt32, outcome: Outcome, ts: Timestamp?, logLines: [String])
    case actionResponse(requestId: UInt32, outcome: Outcome, logLines: [String])
    case authError(error: String, baseVersion: UInt32?, authUpdateAttempted: Bool?)
    case fatalError(error: String)
    case ping

    public enum QueryModification: Hashable, Sendable {
        /// The value already written as convex_encoded_json: one encoding of a result serves every
        /// session that sends it.
        case updated(queryId: UInt32, valueJSON: String, logLines: [String], journal: String?)
        /// `errorData` only for a ConvexError: the Rust client treats the key's presence, even as null, as one.
        case failed(queryId: UInt32, message: String, logLines: [String], journal: String?, errorData: Value?)
        case removed(queryId: UInt32)
    }

    public enum Outcome: Hashable, Sendable {
        case success(Value)
        case failure(message: String, errorData: Value?)
    }

    public var json: String {
        var object = JSONObject()
        switch self {
        case let .transition(start, end, modifications, serverTs):
            object.string("type", "Transition")
            object.raw("startVersion", Self.version(start))
            object.raw("endVersion", Self.version(end))
            object.raw("modifications", "[" + modifications.map(Self.modification).joined(separator: ",") + "]")
            object.raw("clientClockSkew", "null")
            object.raw("serverTs", serverTs.map { String($0) } ?? "null")
        case let .mutationResponse(requestId, outcome, ts, logLines):
            object.string("type", "MutationResponse")
            object.integer("requestId", Int64(requestId))
            Self.write(outcome, into: &object)
            object.raw("ts", ts.map { JSONObject.quoted(SyncTimestamp.encode($0)) } ?? "null")
            object.strings("logLines", logLines)
        case let .actionResponse(requestId, outcome, logLines):
            object.string("type", "ActionResponse")
            object.integer("requestId", Int64(requestId))
            Self.write(outcome, into: &object)
            object.strings("logLines", logLines)
        case let .authError(error, baseVersion, authUpdateAttempted):
            object.string("type", "AuthError")
            object.string("error", error)
            object.raw("baseVersion", baseVersion.map { String($0) } ?? "null")
            if let authUpdateAttempted { object.raw("authUpdateAttempted", authUpdateAttempted ? "true" : "false") }
        case .fatalError(let error):
            object.string("type", "FatalError")
            object.string("error", error)
        case .ping:
            object.string("type", "Ping")
        }
        return object.text
    }

    private static func write(_ outcome: Outcome, into object: inout JSONObject) {
        switch outcome {
        case .success(let value):
            object.raw("success", "true")
            object.value("result", value)
        case let .failure(message, errorData):
            object.raw("success", "false")
            object.string("result", message)
            if let errorData { object.value("errorData", errorData) }
        }
    }

    private static func version(_ v: StateVersion) -> String {
        var object = JSONObject()
        object.integer("querySet", Int64(v.querySet))
        object.integer("identity", Int64(v.identity))
        object.string("ts", SyncTimestamp.encode(v.ts))
        return object.text
    }

    private static func modification(_ m: QueryModification) -> String {
        var object = JSONObject()
        switch m {
        case let .updated(queryId, valueJSON, logLines, journal):
            object.string("type", "QueryUpdated")
            object.integer("queryId", Int64(queryId))
            object.raw("value", valueJSON)
            object.strings("logLines", logLines)
            object.raw("journal", journal.map(JSONObject.quoted) ?? "null")
        case let .failed(queryId, message, logLines, journal, errorData):
            object.string("type", "QueryFailed")
            object.integer("queryId", Int64(queryId))
            object.string("errorMessage", message)
            object.strings("logLines", logLines)
            object.raw("journal", journal.map(JSONObject.quoted) ?? "null")
            if let errorData { object.value("errorData", errorData) }
        case .removed(let queryId):
            object.string("type", "QueryRemoved")
            object.integer("queryId", Int64(queryId))
        }
        return object.text
    }
}

/// Writes one JSON object field by field: protocol integers as JSON integers (never `1.0`, which the
/// Rust client's u32 fields refuse), values in `convex_encoded_json`.
public struct JSONObject {
    private var json = "{"
    private var isEmpty = true

    public init() {}

    /// `key` is one of the protocol's field names, which need no escaping.
    public mutating func raw(_ key: String, _ json: String) {
        if !isEmpty { self.json += "," }
        isEmpty = false
        self.json += "\""
        self.json += key
        self.json += "\":"
        self.json += json
    }

    public mutating func string(_ key: String, _ value: String) { raw(key, Self.quoted(value)) }
    public mutating func integer(_ key: String, _ value: Int64) { raw(key, String(value)) }
    public mutating func value(_ key: String, _ value: Value) { raw(key, ConvexJSONWriter.encodeString(value)) }
    public mutating func strings(_ key: String, _ values: [String]) { raw(key, "[" + values.map(Self.quoted).joined(separator: ",") + "]") }

    public var text: String { json + "}" }

    public static func quoted(_ s: String) -> String {
        var writer = ConvexJSONWriter()
        writer.writeString(s)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
