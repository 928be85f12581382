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

    /// The success value as convex_encoded_json; nil for a failure.
    var encodedValue: String? {
        guard case .success(let value) = result.status else { return nil }
        return encoded.withLock { text in
            if text == nil { text = ConvexJSONWriter.encodeString(value) }
            return text
        }
    }
}
