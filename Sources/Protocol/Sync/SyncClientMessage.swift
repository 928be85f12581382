/// A message from a Convex client on the sync WebSocket (docs/sync-protocol.md, Client messages): one JSON object per text frame.
public enum SyncClientMessage: Hashable, Sendable {
    case connect(Connect)
    case modifyQuerySet(baseVersion: UInt32, newVersion: UInt32, modifications: [QuerySetModification])
    case mutation(requestId: UInt32, udfPath: String, args: [Value], componentPath: String?)
    case action(requestId: UInt32, udfPath: String, args: [Value], componentPath: String?)
    case authenticate(baseVersion: UInt32, token: AuthenticationToken)
    /// Client telemetry; servers ignore it.
    case event(eventType: String)

    /// A client's `Connect`: its session, and whether this socket is a reconnect.
    public struct Connect: Hashable, Sendable {
        /// Keys this socket's mutations for exactly-once (`IdempotencyKey.sessionRequest`).
        public var sessionId: String
        /// Above 0 the socket is a reconnect, so a mutation may be a re-send.
        public var connectionCount: UInt32
        /// Why the client's previous socket closed; the server ignores it.
        public var lastCloseReason: String
        /// The newest timestamp the client has seen, if it sent one; the server ignores it.
        public var maxObservedTimestamp: Timestamp?
        /// The client's clock, 0 when absent; the server ignores it.
        public var clientTs: Double
    }

    /// One change in a `ModifyQuerySet`: a query added under `queryId`, or removed.
    public enum QuerySetModification: Hashable, Sendable {
        case add(queryId: UInt32, udfPath: String, args: [Value], journal: String?, componentPath: String?)
        case remove(queryId: UInt32)
    }

    /// The credentials an `Authenticate` carries.
    public enum AuthenticationToken: Hashable, Sendable {
        /// An admin key, optionally acting as a user (`impersonating`, alias `actingAs`).
        case admin(key: String, actingAs: Value?)
        case user(jwt: String)
        case none
    }

    /// Parses one text frame. Unknown types, missing required fields and wrong types are errors.
    public init(json text: String) throws {
        let value: Value
        do { value = try ConvexJSONReader.decode(text) } catch { throw SyncProtocolError("malformed JSON: \(error)") }
        let message = SyncFields(value, context: "message")
        switch try message.string("type") {
        case "Connect":
            self = .connect(Connect(
                sessionId: try message.string("sessionId"),
                connectionCount: try message.u32("connectionCount"),
                lastCloseReason: try message.string("lastCloseReason"),
                maxObservedTimestamp: try message.optionalTimestamp("maxObservedTimestamp"),
                clientTs: try message.optionalNumber("clientTs") ?? 0))
        case "ModifyQuerySet":
            let modifications = try message.array("modifications").map { item -> QuerySetModification in
                let fields = SyncFields(item, context: "modification")
                switch try fields.string("type") {
                case "Add":
                    return .add(queryId: try fields.u32("queryId"), udfPath: try fields.string("udfPath"), args: try fields.array("args"),
                                journal: try fields.optionalString("journal"), componentPath: try fields.optionalString("componentPath"))
                case "Remove":
                    return .remove(queryId: try fields.u32("queryId"))
                case let other:
                    throw SyncProtocolError("unknown query set modification \(other)")
                }
            }
            self = .modifyQuerySet(baseVersion: try message.u32("baseVersion"), newVersion: try message.u32("newVersion"), modifications: modifications)
        case "Mutation":
            self = .mutation(requestId: try message.u32("requestId"), udfPath: try message.string("udfPath"), args: try message.array("args"),
                             componentPath: try message.optionalString("componentPath"))
        case "Action":
            self = .action(requestId: try message.u32("requestId"), udfPath: try message.string("udfPath"), args: try message.array("args"),
                           componentPath: try message.optionalString("componentPath"))
        case "Authenticate":
            let token: AuthenticationToken
            switch try message.string("tokenType") {
            case "Admin": token = .admin(key: try message.string("value"), actingAs: message.raw("impersonating") ?? message.raw("actingAs"))
            case "User": token = .user(jwt: try message.string("value"))
            case "None": token = .none
            case let other: throw SyncProtocolError("unknown token type \(other)")
            }
            self = .authenticate(baseVersion: try message.u32("baseVersion"), token: token)
        case "Event":
            self = .event(eventType: try message.string("eventType"))
        case let other:
            throw SyncProtocolError("unknown message type \(other)")
        }
    }
}

/// A client message the server cannot accept.
public struct SyncProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Typed access to a message's fields, with errors that name the field.
struct SyncFields {
    let value: Value
    let context: String

    init(_ value: Value, context: String) {
        self.value = value
        self.context = context
    }

    func raw(_ name: String) -> Value? {
        guard let field = value[name], field != .null else { return nil }
        return field
    }

    func string(_ name: String) throws -> String {
        guard case .string(let s)? = value[name] else { throw SyncProtocolError("\(context) needs a string \(name)") }
        return s
    }

    func optionalString(_ name: String) throws -> String? {
        guard let field = raw(name) else { return nil }
        guard case .string(let s) = field else { throw SyncProtocolError("\(context) field \(name) must be a string") }
        return s
    }

    func u32(_ name: String) throws -> UInt32 {
        guard case .float64(let d)? = value[name], d >= 0, d <= Double(UInt32.max), d == d.rounded() else {
            throw SyncProtocolError("\(context) needs \(name) as an unsigned 32-bit integer")
        }
        return UInt32(d)
    }

    func optionalNumber(_ name: String) throws -> Double? {
        guard let field = raw(name) else { return nil }
        guard case .float64(let d) = field else { throw SyncProtocolError("\(context) field \(name) must be a number") }
        return d
    }

    func array(_ name: String) throws -> [Value] {
        guard case .array(let items)? = value[name] else { throw SyncProtocolError("\(context) needs an array \(name)") }
        return items
    }

    func optionalTimestamp(_ name: String) throws -> Timestamp? {
        guard let text = try optionalString(name) else { return nil }
        guard let ts = SyncTimestamp.decode(text) else { throw SyncProtocolError("\(context) field \(name) is not a base64 u64 timestamp") }
        return ts
    }
}
