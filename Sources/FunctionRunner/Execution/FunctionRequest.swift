import Protocol

/// One call of a user function.
public struct FunctionRequest: Sendable {
    /// Canonical module path, e.g. `messages.js` or `dir/mod.js`.
    public var module: String
    public var function: String
    public var kind: FunctionKind
    /// The named-arguments object.
    public var args: Value
    /// The caller's user identity, or nil when logged out.
    public var identity: Value?
    /// Internal functions may be called only from other functions and the scheduler.
    public var allowInternal: Bool
    /// Seeds `Math.random` in queries and mutations.
    public var seed: UInt64
    /// What `Date.now()` returns in queries and mutations: the transaction's time, in milliseconds.
    public var nowMillis: Double
    /// An HTTP action's request, routed by the bundle's `http.js` router (see `RunFunction.http`).
    public var http: Value?
    /// A call of the runtime itself (see `RunFunction.system`).
    public var system: String?
    /// Queries: the journal of the subscription's last run (see `Pagination`).
    public var journal: String?

    public init(module: String, function: String, kind: FunctionKind, args: Value, identity: Value? = nil,
                allowInternal: Bool = false, seed: UInt64 = 0, nowMillis: Double = 0, http: Value? = nil) {
        self.module = module
        self.function = function
        self.kind = kind
        self.args = args
        self.identity = identity
        self.allowInternal = allowInternal
        self.seed = seed
        self.nowMillis = nowMillis
        self.http = http
    }
}

/// What a function call produced: its value or its error, and what it logged.
public struct FunctionOutcome: Sendable {
    public var result: Result<Value, FunctionError>
    public var logLines: [String]
    /// Whether the function asked for its caller's identity; if not, its result is the same for everyone.
    public var readAuth: Bool

    public init(result: Result<Value, FunctionError>, logLines: [String], readAuth: Bool = false) {
        self.result = result
        self.logLines = logLines
        self.readAuth = readAuth
    }
}

/// A function's failure as the caller sees it. `data` is set only for a `ConvexError`.
public struct FunctionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var data: Value?
    /// The JavaScript stack, when there is one.
    public var stack: String

    public init(message: String, data: Value? = nil, stack: String = "") {
        self.message = message
        self.data = data
        self.stack = stack
    }

    public var description: String { stack.isEmpty ? message : "\(message)\n\(stack)" }
}
