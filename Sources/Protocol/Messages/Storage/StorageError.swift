/// An error answer from the storage node.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: UInt8, Sendable {
        case badRequest = 1
        case notFound = 2
        case timestampTooOld = 3
        case limitExceeded = 4
        case internalError = 5
        case unavailable = 6
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
