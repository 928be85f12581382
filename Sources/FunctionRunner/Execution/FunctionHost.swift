import Protocol

/// What a running function may ask of its surroundings: database operations for queries and mutations,
/// `runQuery` and friends for actions. Operations and their arguments are those of the runtime library.
/// An isolate calls a host from one invocation at a time, never concurrently.
public protocol FunctionHost: AnyObject, Sendable {
    /// An asynchronous operation (`get`, `insert`, `queryPage`, …); its result resolves the JS promise.
    /// It runs on the caller's executor (the isolate's JavaScript thread) until it waits for I/O, so an
    /// operation answered from the transaction's buffers (an insert, say) costs no thread hop.
    nonisolated(nonsending) func call(_ operation: String, _ arguments: Value) async throws -> Value
    /// A synchronous operation (`normalizeId`), answered without leaving JavaScript.
    func callSync(_ operation: String, _ arguments: Value) throws -> Value
}

/// An error a host operation reports to the function, as a JavaScript `Error` it can catch.
public struct HostError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Set when the error is a `ConvexError` (from a function an action called): the function sees one.
    public let convexErrorData: Value?

    public init(_ description: String, convexErrorData: Value? = nil) {
        self.description = description
        self.convexErrorData = convexErrorData
    }
}
