import NIOCore

/// A Convex function's kind; the raw value is how it travels on the wire.
public enum FunctionKind: String, Sendable, CaseIterable {
    case query, mutation, action
}

/// Which work a runner takes: `db` runs queries and mutations against the storage node, `action`
/// runs actions and has no storage connection at all.
public enum RunnerPool: UInt8, Sendable {
    case db = 0
    case action = 1
}

/// A function call the coordinator pushes to a runner.
public struct RunFunction: Hashable, Sendable {
    /// The deployment's bundle, by the hex SHA-256 of its source.
    public var deployment: String
    /// Its environment variables, by `EnvironmentVariables.hash`.
    public var environment = EnvironmentVariables.none
    /// Canonical module path (`messages.js`) and export name.
    public var module: String
    /// The export's name in `module`.
    public var function: String
    public var kind: FunctionKind
    /// The named-arguments object.
    public var args: Value
    /// The caller's user identity; nil when logged out.
    public var identity: Value?
    /// Whether an internal function may be called: true for admin callers and the coordinator's own calls.
    public var allowInternal: Bool
    /// Queries: the snapshot to read at; nil for the latest.
    public var snapshotTs: Timestamp?
    /// Mutations: commits at most once under this key, however often the call is retried.
    public var idempotencyKey: IdempotencyKey?
    /// Set when an earlier attempt under the same key may have committed: the coordinator sends the
    /// call again, or a client re-sent it. The runner then looks for the outcome before running.
    public var isRetry = false
    /// Mutations: a function that throws commits its error under the key as well, so that a client's
    /// re-send is answered with that error rather than run again. Set for the sync protocol's
    /// mutations; an HTTP call's retry after a lost runner needs no record of a failure, which wrote nothing.
    public var recordsFailure = false
    /// HTTP actions: the request (`method`, `url`, `headers` as pairs, `body` bytes or null), routed by
    /// the bundle's `http.js` router; `module` and `function` are unused then.
    public var http: Value?
    /// A call of the runtime itself rather than of a user function, made by the coordinator only:
    /// `checkSchema` (one page of a table checked against the bundle's schema; args `{table, cursor}`).
    public var system: String?
    /// Queries: the journal of the subscription's last run, which a paginated query's page ends by.
    public var journal: String?

    public init(deployment: String, module: String, function: String, kind: FunctionKind, args: Value,
                identity: Value? = nil, allowInternal: Bool = false, snapshotTs: Timestamp? = nil,
                idempotencyKey: IdempotencyKey? = nil, http: Value? = nil) {
        self.deployment = deployment
        self.module = module
        self.function = function
        self.kind = kind
        self.args = args
        self.identity = identity
        self.allowInternal = allowInternal
        self.snapshotTs = snapshotTs
        self.idempotencyKey = idempotencyKey
        self.http = http
    }
}

/// What a function call produced, as the runner reports it.
public struct FunctionResult: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case success(Value)
        /// `data` is present only for a `ConvexError`.
        case failure(message: String, data: Value?, stack: String)
    }

    public var status: Status
    public var logLines: [String]
    /// Queries: the snapshot read and what was read there.
    public var snapshotTs: Timestamp?
    /// Queries: the index intervals the function read at `snapshotTs`.
    public var readSet: ReadSet?
    /// Mutations that committed.
    public var commitTs: Timestamp?
    /// Whether the function read its caller's identity; a query that did not may share its result.
    public var readAuth: Bool
    /// Mutations: how many times a commit conflicted and the mutation ran again.
    public var conflictRetries: Int
    /// Queries that paginated: the journal for the subscription's next run (opaque to all but runners).
    public var journal: String?

    public init(status: Status, logLines: [String], snapshotTs: Timestamp? = nil, readSet: ReadSet? = nil, commitTs: Timestamp? = nil,
                readAuth: Bool = false, conflictRetries: Int = 0, journal: String? = nil) {
        self.status = status
        self.logLines = logLines
        self.snapshotTs = snapshotTs
        self.readSet = readSet
        self.commitTs = commitTs
        self.readAuth = readAuth
        self.conflictRetries = conflictRetries
        self.journal = journal
    }
}

/// Messages between the coordinator and its runners. Either side may ask; answers carry the
/// question's request ID and a result kind.
public enum RunnerMessage: Hashable, Sendable {
    /// Runner → coordinator, first thing after the handshake.
    case register(pool: RunnerPool, capacity: Int, name: String)
    /// Coordinator → runner.
    case run(RunFunction)
    /// Runner → coordinator: the source of a bundle it does not have.
    case fetchBundle(hash: String)
    /// Runner → coordinator, from an action: `runQuery`, `runMutation` or `runAction`.
    case actionCall(kind: FunctionKind, name: String, args: Value, identity: Value?)
    /// Coordinator → runner: describe a bundle loaded with these environment variables (JSON).
    case analyze(deployment: String, environment: String)
    /// Runner → coordinator: environment variables it does not have, by hash.
    case fetchEnvironment(hash: String)

    // Answers.
    case registered
    case result(FunctionResult)
    case bundle(source: String)
    case analysis(json: String)
    case environment(json: String)
    case failed(message: String)
    /// The storage node could not be reached in time. For a mutation the outcome is unknown: an
    /// attempt may have committed, and only a later call under the same key can tell.
    case unavailable(message: String)

    /// The frame kind this message travels as.
    public var kind: MessageKind {
        switch self {
        case .register: return .registerRunner
        case .run: return .runFunction
        case .fetchBundle: return .fetchBundle
        case .actionCall: return .actionCall
        case .analyze: return .analyzeBundle
        case .fetchEnvironment: return .fetchEnvironment
        case .registered: return .runnerRegistered
        case .result: return .functionResult
        case .bundle: return .bundleSource
        case .analysis: return .bundleAnalysis
        case .environment: return .environmentSource
        case .failed: return .runnerError
        case .unavailable: return .runnerUnavailable
        }
    }

    /// Whether a frame of `kind` answers a question (`FramePeer`'s `isAnswer`).
    public static func isAnswer(_ kind: UInt8) -> Bool {
        [MessageKind.runnerRegistered, .functionResult, .bundleSource, .bundleAnalysis, .environmentSource, .runnerError, .runnerUnavailable].map(\.rawValue).contains(kind)
    }

    /// The message as a frame; an answer carries its question's request ID.
    public func frame(requestID: UInt64) -> Frame {
        var body = ByteBuffer()
        switch self {
        case let .register(pool, capacity, name):
            body.writeInteger(pool.rawValue)
            body.writeVarUInt(UInt64(capacity))
            body.writeLengthPrefixedString(name)
        case .run(let run):
            body.writeLengthPrefixedString(run.deployment)
            body.writeLengthPrefixedString(run.environment)
            body.writeLengthPrefixedString(run.module)
            body.writeLengthPrefixedString(run.function)
            body.writeLengthPrefixedString(run.kind.rawValue)
            body.writeValue(run.args)
            body.writeOptionalValue(run.identity)
            body.writeBool(run.allowInternal)
            body.writeOptionalTimestamp(run.snapshotTs)
            body.writeBool(run.idempotencyKey != nil)
            if let key = run.idempotencyKey { body.writeIdempotencyKey(key) }
            body.writeBool(run.isRetry)
            body.writeBool(run.recordsFailure)
            body.writeOptionalValue(run.http)
            body.writeBool(run.system != nil)
            if let system = run.system { body.writeLengthPrefixedString(system) }
            body.writeOptionalString(run.journal)
        case .fetchBundle(let hash):
            body.writeLengthPrefixedString(hash)
        case let .actionCall(kind, name, args, identity):
            body.writeLengthPrefixedString(kind.rawValue)
            body.writeLengthPrefixedString(name)
            body.writeValue(args)
            body.writeOptionalValue(identity)
        case .registered:
            break
        case .result(let result):
            switch result.status {
            case .success(let value):
                body.writeInteger(UInt8(0))
                body.writeValue(value)
            case let .failure(message, data, stack):
                body.writeInteger(UInt8(1))
                body.writeFunctionFailure(message: message, data: data, stack: stack)
            }
            body.writeLogLines(result.logLines)
            body.writeOptionalTimestamp(result.snapshotTs)
            body.writeBool(result.readSet != nil)
            if let readSet = result.readSet { body.writeReadSet(readSet) }
            body.writeOptionalTimestamp(result.commitTs)
            body.writeBool(result.readAuth)
            body.writeVarUInt(UInt64(result.conflictRetries))
            body.writeOptionalString(result.journal)
        case .bundle(let source):
            body.writeLengthPrefixedString(source)
        case let .analyze(hash, environment):
            body.writeLengthPrefixedString(hash)
            body.writeLengthPrefixedString(environment)
        case .fetchEnvironment(let hash):
            body.writeLengthPrefixedString(hash)
        case .analysis(let json), .environment(let json):
            body.writeLengthPrefixedString(json)
        case .failed(let message), .unavailable(let message):
            body.writeLengthPrefixedString(message)
        }
        return Frame(kind: kind.rawValue, requestID: requestID, body: body)
    }

    /// Reads a runner message; throws `ProtocolError` for another kind, a malformed body or trailing bytes.
    public init(frame: Frame) throws {
        guard let kind = MessageKind(rawValue: frame.kind) else { throw ProtocolError.unknownMessageKind(frame.kind) }
        var body = frame.body
        switch kind {
        case .registerRunner:
            guard let pool = RunnerPool(rawValue: try body.readUInt8()) else { throw ProtocolError.malformed("runner pool") }
            let capacity = try body.readVarUInt()
            guard capacity >= 1, capacity <= 4096 else { throw ProtocolError.malformed("runner capacity \(capacity)") }
            self = .register(pool: pool, capacity: Int(capacity), name: try body.readLengthPrefixedString())
        case .runFunction:
            let deployment = try body.readLengthPrefixedString()
            let environment = try body.readLengthPrefixedString()
            let module = try body.readLengthPrefixedString()
            let function = try body.readLengthPrefixedString()
            let kind = try body.readFunctionKind()
            let args = try body.readValue()
            let identity = try body.readOptionalValue()
            let allowInternal = try body.readBool()
            let snapshotTs = try body.readOptionalTimestamp()
            let key = try body.readBool() ? try body.readIdempotencyKey() : nil
            let isRetry = try body.readBool()
            let recordsFailure = try body.readBool()
            let http = try body.readOptionalValue()
            var run = RunFunction(deployment: deployment, module: module, function: function, kind: kind, args: args,
                                  identity: identity, allowInternal: allowInternal, snapshotTs: snapshotTs, idempotencyKey: key, http: http)
            run.isRetry = isRetry
            run.recordsFailure = recordsFailure
            run.environment = environment
            run.system = try body.readBool() ? try body.readLengthPrefixedString() : nil
            run.journal = try body.readOptionalString()
            self = .run(run)
        case .fetchBundle:
            self = .fetchBundle(hash: try body.readLengthPrefixedString())
        case .actionCall:
            let kind = try body.readFunctionKind()
            let name = try body.readLengthPrefixedString()
            let args = try body.readValue()
            self = .actionCall(kind: kind, name: name, args: args, identity: try body.readOptionalValue())
        case .runnerRegistered:
            self = .registered
        case .functionResult:
            let status: FunctionResult.Status
            switch try body.readUInt8() {
            case 0: status = .success(try body.readValue())
            case 1:
                let failure = try body.readFunctionFailure()
                status = .failure(message: failure.message, data: failure.data, stack: failure.stack)
            case let b: throw ProtocolError.malformed("result status \(b)")
            }
            let lines = try body.readLogLines()
            let snapshotTs = try body.readOptionalTimestamp()
            let readSet = try body.readBool() ? try body.readReadSet() : nil
            let commitTs = try body.readOptionalTimestamp()
            let readAuth = try body.readBool()
            let conflictRetries = Int(min(try body.readVarUInt(), 1_000))
            self = .result(FunctionResult(status: status, logLines: lines, snapshotTs: snapshotTs, readSet: readSet, commitTs: commitTs,
                                          readAuth: readAuth, conflictRetries: conflictRetries, journal: try body.readOptionalString()))
        case .bundleSource:
            self = .bundle(source: try body.readLengthPrefixedString())
        case .analyzeBundle:
            self = .analyze(deployment: try body.readLengthPrefixedString(), environment: try body.readLengthPrefixedString())
        case .fetchEnvironment:
            self = .fetchEnvironment(hash: try body.readLengthPrefixedString())
        case .bundleAnalysis:
            self = .analysis(json: try body.readLengthPrefixedString())
        case .environmentSource:
            self = .environment(json: try body.readLengthPrefixedString())
        case .runnerError:
            self = .failed(message: try body.readLengthPrefixedString())
        case .runnerUnavailable:
            self = .unavailable(message: try body.readLengthPrefixedString())
        default:
            throw ProtocolError.malformed("kind \(kind) is not a runner message")
        }
        guard body.readableBytes == 0 else { throw ProtocolError.malformed("\(body.readableBytes) trailing bytes in \(kind)") }
    }
}

extension ByteBuffer {
    /// A function's failure: its message, its ConvexError data (absent for other errors) and its stack.
    /// Runner answers and commit receipts carry it alike.
    public mutating func writeFunctionFailure(message: String, data: Value?, stack: String) {
        writeLengthPrefixedString(message)
        writeOptionalValue(data)
        writeLengthPrefixedString(stack)
    }

    public mutating func readFunctionFailure() throws -> (message: String, data: Value?, stack: String) {
        let message = try readLengthPrefixedString()
        let data = try readOptionalValue()
        return (message, data, try readLengthPrefixedString())
    }

    /// A function's log lines: their count, then each.
    public mutating func writeLogLines(_ lines: [String]) {
        writeVarUInt(UInt64(lines.count))
        for line in lines { writeLengthPrefixedString(line) }
    }

    public mutating func readLogLines() throws -> [String] {
        var lines: [String] = []
        for _ in 0..<(try readCount()) { lines.append(try readLengthPrefixedString()) }
        return lines
    }

    mutating func writeOptionalTimestamp(_ ts: Timestamp?) {
        writeBool(ts != nil)
        if let ts { writeInteger(ts) }
    }

    mutating func readOptionalTimestamp() throws -> Timestamp? {
        try readBool() ? try readUInt64() : nil
    }

    mutating func readFunctionKind() throws -> FunctionKind {
        let text = try readLengthPrefixedString()
        guard let kind = FunctionKind(rawValue: text) else { throw ProtocolError.malformed("function kind \(text)") }
        return kind
    }
}
