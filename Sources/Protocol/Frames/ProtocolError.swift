/// Why a frame or message body could not be read. Decoders throw these instead of trapping.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(String)
    case malformed(String)
    case frameTooLarge(length: Int, limit: Int)
    case unknownMessageKind(UInt8)
    case handshakeFailed(String)
    case versionMismatch(expected: UInt16, got: UInt16)
    case connectionClosed
    /// The peer answered a request this side never sent (or already had answered).
    case unexpectedAnswer(requestID: UInt64)

    public var description: String {
        switch self {
        case let .truncated(what): return "truncated \(what)"
        case let .malformed(why): return "malformed message: \(why)"
        case let .frameTooLarge(length, limit): return "frame of \(length) bytes exceeds the limit of \(limit)"
        case let .unknownMessageKind(kind): return "unknown message kind \(kind)"
        case let .handshakeFailed(why): return "handshake failed: \(why)"
        case let .versionMismatch(expected, got): return "protocol version \(got) is not the expected \(expected)"
        case .connectionClosed: return "the connection closed"
        case .unexpectedAnswer(let id): return "the peer answered request \(id), which is not waiting for an answer"
        }
    }
}
