/// A message from the server on the sync WebSocket (docs/sync-protocol.md, Server messages), written as the JSON text of one frame.
public enum SyncServerMessage: Hashable, Sendable {
    case transition(start: StateVersion, end: StateVersion, modifications: [QueryModification], serverTs: Timestamp?)
    case mutationResponse(requestId: UInt32, outcome: Outcome, ts: Timestamp?, logLines: [String])
    case actionResponse(requestId: UInt32, outcome: Outcome, logLines: [String])
    case authError(error: String, baseVersion: UInt32?, authUpdateAttempted: Bool?)
    case fatalError(error: String)
    case ping

    /// One query's change in a Transition.
    public enum QueryModification: Hashable, Sendable {
        /// The value already written as convex_encoded_json: one encoding of a result serves every
        /// session that sends it.
        case updated(queryId: UInt32, valueJSON: String, logLines: [String], journal: String?)
        /// `errorData` only for a ConvexError: the Rust client treats the key's presence, even as null, as one.
        case failed(queryId: UInt32, message: String, logLines: [String], journal: String?, errorData: Value?)
        case removed(queryId: UInt32)
    }

    /// A mutation's or action's result, as its response reports it.
    public enum Outcome: Hashable, Sendable {
        case success(Value)
        case failure(message: String, errorData: Value?)
    }

    /// The frame's JSON text: `jsonBytes` as a string.
    public var json: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// The JSON text's bytes, written in one pass: after a commit each subscriber's Transition is
    /// written this way, a thousand times for a thousand subscribers.
    public var jsonBytes: [UInt8] {
        var w = ConvexJSONWriter(reservingCapacity: approximateSize)
        switch self {
        case let .transition(start, end, modifications, serverTs):
            Self.begin("Transition", &w)
            w.beginField("startVersion")
            Self.write(start, to: &w)
            w.beginField("endVersion")
            Self.write(end, to: &w)
            w.beginField("modifications")
            w.writeRaw("[")
            for (i, modification) in modifications.enumerated() {
                if i > 0 { w.writeRaw(",") }
                Self.write(modification, to: &w)
            }
            w.writeRaw("]")
            w.beginField("clientClockSkew")
            w.writeRaw("null")
            w.beginField("serverTs")
            if let serverTs { w.writeInteger(serverTs) } else { w.writeRaw("null") }
        case let .mutationResponse(requestId, outcome, ts, logLines):
            Self.writeResponse("MutationResponse", requestId, outcome, to: &w)
            w.beginField("ts")
            if let ts { w.writeString(SyncTimestamp.encode(ts)) } else { w.writeRaw("null") }
            w.beginField("logLines")
            w.writeStrings(logLines)
        case let .actionResponse(requestId, outcome, logLines):
            Self.writeResponse("ActionResponse", requestId, outcome, to: &w)
            w.beginField("logLines")
            w.writeStrings(logLines)
        case let .authError(error, baseVersion, authUpdateAttempted):
            Self.begin("AuthError", &w)
            w.beginField("error")
            w.writeString(error)
            w.beginField("baseVersion")
            if let baseVersion { w.writeInteger(baseVersion) } else { w.writeRaw("null") }
            if let authUpdateAttempted {
                w.beginField("authUpdateAttempted")
                w.writeRaw(authUpdateAttempted ? "true" : "false")
            }
        case .fatalError(let error):
            Self.begin("FatalError", &w)
            w.beginField("error")
            w.writeString(error)
        case .ping:
            Self.begin("Ping", &w)
        }
        w.endObject()
        return w.bytes
    }

    /// About how long the JSON text is: the values a Transition carries, already encoded, and room
    /// for the rest.
    private var approximateSize: Int {
        guard case .transition(_, _, let modifications, _) = self else { return 256 }
        return modifications.reduce(256) { size, modification in
            guard case .updated(_, let valueJSON, let logLines, _) = modification else { return size + 256 }
            return size + 128 + valueJSON.utf8.count + logLines.reduce(0) { $0 + $1.utf8.count + 8 }
        }
    }

    /// Opens a message or modification object with its `type`.
    private static func begin(_ type: String, _ w: inout ConvexJSONWriter) {
        w.beginField("type", first: true)
        w.writeString(type)
    }

    /// The fields a mutation's and an action's response share.
    private static func writeResponse(_ type: String, _ requestId: UInt32, _ outcome: Outcome, to w: inout ConvexJSONWriter) {
        begin(type, &w)
        w.beginField("requestId")
        w.writeInteger(requestId)
        switch outcome {
        case .success(let value):
            w.beginField("success")
            w.writeRaw("true")
            w.beginField("result")
            w.write(value)
        case let .failure(message, errorData):
            w.beginField("success")
            w.writeRaw("false")
            w.beginField("result")
            w.writeString(message)
            if let errorData {
                w.beginField("errorData")
                w.write(errorData)
            }
        }
    }

    private static func write(_ v: StateVersion, to w: inout ConvexJSONWriter) {
        w.beginField("querySet", first: true)
        w.writeInteger(v.querySet)
        w.beginField("identity")
        w.writeInteger(v.identity)
        w.beginField("ts")
        w.writeString(SyncTimestamp.encode(v.ts))
        w.endObject()
    }

    private static func write(_ m: QueryModification, to w: inout ConvexJSONWriter) {
        switch m {
        case let .updated(queryId, valueJSON, logLines, journal):
            Self.begin("QueryUpdated", &w)
            w.beginField("queryId")
            w.writeInteger(queryId)
            w.beginField("value")
            w.writeRaw(valueJSON)
            w.beginField("logLines")
            w.writeStrings(logLines)
            w.beginField("journal")
            if let journal { w.writeString(journal) } else { w.writeRaw("null") }
        case let .failed(queryId, message, logLines, journal, errorData):
            Self.begin("QueryFailed", &w)
            w.beginField("queryId")
            w.writeInteger(queryId)
            w.beginField("errorMessage")
            w.writeString(message)
            w.beginField("logLines")
            w.writeStrings(logLines)
            w.beginField("journal")
            if let journal { w.writeString(journal) } else { w.writeRaw("null") }
            if let errorData {
                w.beginField("errorData")
                w.write(errorData)
            }
        case .removed(let queryId):
            Self.begin("QueryRemoved", &w)
            w.beginField("queryId")
            w.writeInteger(queryId)
        }
        w.endObject()
    }
}
