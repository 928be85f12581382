import Foundation
import Hummingbird
import Protocol

/// The HTTP API (docs/http-api.md): `/api/query` (POST, and GET with the call in the URL's query),
/// `/api/query_batch`, `/api/mutation`, `/api/action`, `/api/function` (any kind) and `/api/run/{path}`,
/// open to anyone as on Convex (internal functions to admins only), plus the admin push of a bundled
/// deployment. Function errors are 200s with `status: "error"`; request errors are non-2xx with
/// `code` and `message`.
struct HTTPAPI: Sendable {
    let coordinator: Coordinator
    let instanceName: String

    static let maxBodyBytes = (16 << 20) + 2000

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        // HTTP request counts and latencies, through swift-metrics (the process routes them to /metrics).
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: APIErrorMiddleware())
        router.get("/") { _, _ in "This Convex deployment is running. See https://docs.convex.dev/.\n" }
        router.get("/instance_name") { _, _ in instanceName }
        router.get("/version") { _, _ in "converge 0.1.0" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: await coordinator.renderMetrics())))
        }
        for kind in FunctionKind.allCases {
            router.post("/api/\(kind.rawValue)") { request, _ in try await call(request, kind: kind, pathInURL: nil) }
        }
        router.get("/api/query") { request, _ in try await queryFromURL(request) }
        router.post("/api/query_batch") { request, _ in try await queryBatch(request) }
        // Any kind of function, named in the body.
        router.post("/api/function") { request, _ in try await call(request, kind: nil, pathInURL: nil) }
        router.post("/api/run/**") { request, context in
            try await call(request, kind: nil, pathInURL: context.parameters.getCatchAll().joined(separator: "/"))
        }
        addAdminRoutes(to: router.group("/api/converge").add(middleware: AdminOnlyMiddleware(api: self)))
        return router
    }

    /// Who is calling: an admin (may run internal functions), and the user identity functions see.
    struct Caller {
        var isAdmin = false
        var identity: Value?
    }

    /// `Authorization: Convex <admin key>` or `Bearer <user JWT>`, else `?adminKey=` (docs/http-api.md, Authentication). Without
    /// any, the call runs anonymously.
    func authenticate(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization] else {
            guard let key = request.uri.queryParameters["adminKey"] else { return Caller() }
            try verifyAdminKey(String(key))
            return Caller(isAdmin: true)
        }
        if let token = request.bearerToken { return Caller(identity: try await coordinator.identity(provenBy: token)) }
        guard header.count > 7, header.prefix(7).lowercased() == "convex " else {
            throw APIError.badRequest("InvalidAdminKey", "The Authorization header must be `Convex <admin key>` or `Bearer <token>`")
        }
        try verifyAdminKey(String(header.dropFirst(7)))
        return Caller(isAdmin: true)
    }

    private func verifyAdminKey(_ key: String) throws {
        do {
            _ = try AdminKey(verifying: key, instanceName: instanceName, instanceSecret: coordinator.instanceSecret)
        } catch {
            throw APIError(.unauthorized, "BadAdminKey", "The provided admin key was invalid for this instance: \(error)")
        }
    }

    /// One call as a request states it: `path`, `args` and `format`.
    private struct CallSpec {
        var path: CanonicalFunctionPath
        var args: Value
        var format: ValueFormat
    }

    private func call(_ request: Request, kind: FunctionKind?, pathInURL: String?) async throws -> Response {
        let caller = try await authenticate(request)
        let parsed = try await jsonBody(request)
        let spec = try Self.spec(parsed, pathInURL: pathInURL, defaultFormat: Self.defaultFormat(request, pathInURL: pathInURL))
        let result: FunctionResult
        if let kind {
            // A query reads the latest snapshot, where the shared result cache can answer it.
            let snapshot = kind == .query ? try await coordinator.latestTimestamp() : nil
            result = try await coordinator.run(spec.path, kind: kind, args: spec.args, identity: caller.identity, allowInternal: caller.isAdmin,
                                               snapshotTs: snapshot)
        } else {
            result = try await runAnyKind(spec.path, args: spec.args, caller: caller)
        }
        return Response.json(Self.body(result, format: spec.format))
    }

    /// `GET /api/query?path=…&args=…&format=…`: `args` is the arguments' JSON text.
    private func queryFromURL(_ request: Request) async throws -> Response {
        let caller = try await authenticate(request)
        let parameters = Self.formDecoded(request.uri.query ?? "")
        var fields: [String: Value] = [:]
        guard let path = parameters["path"] else { throw APIError.badRequest("BadQueryParameters", "missing query parameter `path`") }
        fields["path"] = .string(path)
        if let args = parameters["args"] {
            do {
                fields["args"] = try ConvexJSONReader.decode(Array(args.utf8))
            } catch {
                throw APIError.badRequest("BadQueryParameters", "`args` is not valid JSON: \(error)")
            }
        }
        if let format = parameters["format"] { fields["format"] = .string(format) }
        let spec = try Self.spec(.object(fields), pathInURL: nil, defaultFormat: Self.defaultFormat(request, pathInURL: nil))
        let result = try await coordinator.run(spec.path, kind: .query, args: spec.args, identity: caller.identity, allowInternal: caller.isAdmin,
                                               snapshotTs: try await coordinator.latestTimestamp())
        return Response.json(Self.body(result, format: spec.format))
    }

    /// `POST /api/query_batch` with `{queries: [{path, args, format}…]}`: every query at one timestamp,
    /// answered `{results: […]}` in order, each as `/api/query` answers.
    private func queryBatch(_ request: Request) async throws -> Response {
        let caller = try await authenticate(request)
        guard case .array(let queries)? = try await jsonBody(request)["queries"] else {
            throw APIError.badRequest("BadJsonBody", "missing field `queries`, an array")
        }
        let defaultFormat = Self.defaultFormat(request, pathInURL: nil)
        let specs = try queries.map { query -> CallSpec in
            guard case .object = query else { throw APIError.badRequest("BadJsonBody", "each query must be an object") }
            return try Self.spec(query, pathInURL: nil, defaultFormat: defaultFormat)
        }
        let snapshot = try await coordinator.latestTimestamp()
        var results: [String] = []
        for spec in specs {
            let result = try await coordinator.run(spec.path, kind: .query, args: spec.args, identity: caller.identity,
                                                   allowInternal: caller.isAdmin, snapshotTs: snapshot)
            results.append(Self.body(result, format: spec.format))
        }
        return Response.json("{\"results\":[" + results.joined(separator: ",") + "]}")
    }

    /// A URL's query as a form encodes it: `+` is a space, `%XX` a byte.
    static func formDecoded(_ query: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            fields[decode(parts[0])] = parts.count == 2 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// The request's body as a JSON object.
    private func jsonBody(_ request: Request) async throws -> Value {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, "PayloadTooLarge", "request bodies may be at most \(Self.maxBodyBytes) bytes")
        }
        let parsed: Value
        do {
            parsed = try ConvexJSONReader.decode(Array(body.readableBytesView))
        } catch {
            throw APIError.badRequest("BadJsonBody", "The request body is not valid JSON: \(error)")
        }
        guard case .object = parsed else { throw APIError.badRequest("BadJsonBody", "The request body must be a JSON object") }
        return parsed
    }

    /// Clean JSON, unless an old client calls a route that names the function in its body (docs/http-api.md, Value formats).
    private static func defaultFormat(_ request: Request, pathInURL: String?) -> ValueFormat {
        if pathInURL == nil, let client = request.headers[.init("Convex-Client")!], isOldClient(client) { return .encoded }
        return .clean
    }

    private static func spec(_ parsed: Value, pathInURL: String?, defaultFormat: ValueFormat) throws -> CallSpec {
        let pathText: String
        if let pathInURL {
            pathText = pathFromURL(pathInURL)
        } else {
            guard case .string(let p)? = parsed["path"] else { throw APIError.badRequest("BadJsonBody", "missing field `path`") }
            pathText = p
        }
        guard let path = CanonicalFunctionPath(pathText) else {
            throw APIError.badRequest("BadConvexFunctionIdentifier", "Invalid function path: \(pathText)")
        }
        var format = defaultFormat
        if case .string(let name)? = parsed["format"] {
            guard let named = ValueFormat(name) else { throw APIError.badRequest("BadFormat", "Invalid format \(name)") }
            format = named
        }
        let args: Value
        switch parsed["args"] {
        case nil, .null?: args = .object([:])
        case .object?: args = parsed["args"]!
        case .array(let positional)? where positional.count == 1: args = positional[0]
        default: throw APIError.badRequest("BadJsonBody", "args must be an object")
        }
        return CallSpec(path: path, args: args, format: format)
    }

    /// Clients older than Python 0.5.0 and npm 1.4.1 default to encoded JSON; everyone else to clean (docs/http-api.md, Value formats).
    static func isOldClient(_ header: String) -> Bool {
        let parts = header.split(separator: "-", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let version = parts[1].split(separator: ".").compactMap { Int($0) }
        let floor: [Int]
        switch parts[0].lowercased() {
        case "python": floor = [0, 5, 0]
        case "npm": floor = [1, 4, 1]
        default: return false
        }
        return version.lexicographicallyPrecedes(floor)
    }

    /// `/api/run/messages/list` names `messages:list`; the last segment is the function.
    static func pathFromURL(_ path: String) -> String {
        let parts = path.split(separator: "/")
        guard parts.count >= 2 else { return path }
        return parts.dropLast().joined(separator: "/") + ":" + parts.last!
    }

    /// `/api/run` and `/api/function` do not say the kind: the deployment's analysis knows it. A path
    /// it does not know runs as a query, which answers the runtime's error for a missing function.
    private func runAnyKind(_ path: CanonicalFunctionPath, args: Value, caller: Caller) async throws -> FunctionResult {
        let kind = try await coordinator.kind(of: path) ?? .query
        let snapshot = kind == .query ? try await coordinator.latestTimestamp() : nil
        return try await coordinator.run(path, kind: kind, args: args, identity: caller.identity, allowInternal: caller.isAdmin, snapshotTs: snapshot)
    }

    static func body(_ result: FunctionResult, format: ValueFormat) -> String {
        var object = JSONObject()
        switch result.status {
        case .success(let value):
            object.string("status", "success")
            object.raw("value", format.json(value))
        case let .failure(message, data, _):
            object.string("status", "error")
            object.string("errorMessage", data == nil ? Self.serverError(message) : message)
            if let data { object.raw("errorData", format.json(data)) }
        }
        if !result.logLines.isEmpty { object.strings("logLines", result.logLines) }
        return object.text
    }

    /// How a function's failure other than a ConvexError reads (docs/limits.md, Function errors; logs not redacted).
    static func serverError(_ message: String) -> String {
        "[Request ID: \(String(UInt64.random(in: 0...UInt64.max), radix: 16))] Server Error\n\(message)"
    }
}
