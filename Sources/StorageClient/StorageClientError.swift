/// A failure of the connection itself; the node's own error answers are `StorageError`s.
public enum StorageClientError: Error, Equatable, CustomStringConvertible {
    case connectionClosed
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .connectionClosed: return "the connection to the storage node closed"
        case .unexpectedResponse(let what): return "unexpected response from the storage node: \(what)"
        }
    }
}
