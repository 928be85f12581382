import Foundation
import Protocol

/// The client messages the workloads send, as JSON text, and the little they read of the server's.
enum SyncMessage {
    static func connect(sessionId: String = UUID().uuidString.lowercased(), connectionCount: Int = 0) -> String {
        let reason = connectionCount == 0 ? "InitialConnect" : "ConnectionLost"
        return #"{"type":"Connect","sessionId":"\#(sessionId)","connectionCount":\#(connectionCount),"lastCloseReason":"\#(reason)","clientTs":0}"#
    }

    static func mutation(requestId: Int, path: String, args: String) -> String {
        #"{"type":"Mutation","requestId":\#(requestId),"udfPath":"\#(path)","args":[\#(args)]}"#
    }

    /// Adds queries (`queryId`, path, args JSON) in one set change from `version` to `version + 1`.
    static func addQueries(version: Int, _ queries: [(id: Int, path: String, args: String)]) -> String {
        let adds = queries.map { #"{"type":"Add","queryId":\#($0.id),"udfPath":"\#($0.path)","args":[\#($0.args)]}"# }
        return #"{"type":"ModifyQuerySet","baseVersion":\#(version),"newVersion":\#(version + 1),"modifications":[\#(adds.joined(separator: ","))]}"#
    }

    static func removeQuery(version: Int, id: Int) -> String {
        #"{"type":"ModifyQuerySet","baseVersion":\#(version),"newVersion":\#(version + 1),"modifications":[{"type":"Remove","queryId":\#(id)}]}"#
    }

    /// Whether the message's top-level `type` is `type`. Converge writes it as the first key, so the
    /// first `"type":"` in the text is the top-level one; this keeps the harness from parsing every
    /// Transition. Compared by bytes, like `contains`: the harness checks every message it gets.
    static func hasType(_ message: String, _ type: StaticString) -> Bool {
        var message = message
        return message.withUTF8 { bytes in
            guard let start = firstIndex(of: typeMarker, in: bytes).map({ $0 + typeMarker.count }) else { return false }
            let name = UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
            guard bytes.count > start + name.count, bytes[start + name.count] == UInt8(ascii: "\"") else { return false }
            return name.indices.allSatisfy { bytes[start + $0] == name[$0] }
        }
    }

    private static let typeMarker = Array(#""type":""#.utf8)

    /// Whether `message` contains `needle`, by bytes: Foundation's `contains` goes through NSString,
    /// which a thousand subscribers calling it per Transition make a visible part of the harness's CPU.
    static func contains(_ message: String, _ needle: [UInt8]) -> Bool {
        var message = message
        return message.withUTF8 { firstIndex(of: needle, in: $0) != nil }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let first = needle.first else { return 0 }
        guard haystack.count >= needle.count else { return nil }
        var start = 0
        while start <= haystack.count - needle.count {
            if haystack[start] == first, needle.indices.allSatisfy({ haystack[start + $0] == needle[$0] }) { return start }
            start += 1
        }
        return nil
    }

    /// Whether a MutationResponse says the mutation succeeded, without parsing it (Converge writes
    /// `"success":true` without spaces).
    static func succeeded(_ response: String) -> Bool {
        contains(response, successMarker)
    }

    private static let successMarker = Array(#""success":true"#.utf8)

    /// What a failed MutationResponse says went wrong (its `result`, the error message).
    static func mutationError(_ response: String) -> String {
        switch mutationOutcome(response).result {
        case .string(let message)?: message
        case let other?: "\(other)"
        case nil: response
        }
    }

    /// A MutationResponse's outcome, parsed.
    static func mutationOutcome(_ response: String) -> (requestId: Int, success: Bool, result: Value?) {
        guard let value = try? ConvexJSONReader.decode(response) else { return (-1, false, nil) }
        let requestId: Int
        switch value["requestId"] {
        case .float64(let id)?: requestId = Int(id)
        case .int64(let id)?: requestId = Int(id)
        default: requestId = -1
        }
        return (requestId, value["success"] == .boolean(true), value["result"])
    }
}
