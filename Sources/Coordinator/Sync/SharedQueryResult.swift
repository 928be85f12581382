import Protocol
import Synchronization

/// A query result shared by every caller of the same query at the same snapshot, with its value's
/// JSON written once for all of them: after a commit, a thousand sessions send the same result.
final class SharedQueryResult: Sendable {
    let result: FunctionResult
    private let encoded = Mutex<String?>(nil)

    init(_ result: FunctionResult) {
        self.result = result
    }

    /// About what holding this costs: the value, its JSON once written, the log lines and read set.
    var approximateBytes: Int {
        var bytes = 256 + result.logLines.reduce(0) { $0 + $1.utf8.count } + 32 * (result.readSet?.count ?? 0)
        switch result.status {
        case .success(let value): bytes += 2 * value.size
        case let .failure(message, data, stack): bytes += message.utf8.count + stack.utf8.count + (data?.size ?? 0)
        }
        return bytes
    }

    /// The success value as convex_encoded_json; nil for a failure.
    var encodedValue: String? {
        guard case .success(let value) = result.status else { return nil }
        return encoded.withLock { text in
            if text == nil { text = ConvexJSONWriter.encodeString(value) }
            return text
        }
    }
}
