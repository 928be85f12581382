import Foundation
import Hummingbird
import Protocol

/// The HTTP API of spec §2: `/api/query`, `/api/mutation`, `/api/action`, `/api/run/{path}`, plus
/// the admin push of a bundled deployment. Function errors are 200s with `status: "error"`;
/// request errors are non-2xx with `code` and `message`.
struct HTTPAPI: Sendable {
    let coordinator: Coordinator
    let instanceName: String

    static let maxBodyBytes = (16 << 20) + 2000

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        // HTTP request counts and latencies, through swift-metrics (the process routes them to /metrics).
        router.add(middleware: MetricsMiddleware())
        router.get("/") { _, _ in "This Convex deployment is running. See https://docs.convex.dev/.\n" }
        router.get("/instance_name") { _, _ in instanceName }
        router.get("/version") { _, _ in "converge 0.1.0" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: await coordinator.renderMetrics())))
        }
        for kind in FunctionKind.allCases {
            router.post("/api/\(kind.rawValue)") { request, _ in await respond { try await call(request, kind: kind, pathInURL: nil) } }
        }
        // Any kind of function; admins only, as on the real server.
        router.post("/api/function") { request, _ in
            await respond {
                try await requireAdmin(request, for: "/api/function")
                return try await call(request, kind: nil, pathInURL: nil)
            }
        }
        router.post("/api/run/**") { request, context in
            await respond {
                let path = context.parameters.getCatchAll().joined(separator: "/")
                return try await call(request, kind: nil, pathInURL: path)
            }
        }
        addAdminRoutes(to: router)
        return router
    }

    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as HTTPError {
            return error.response
        } catch let error as CoordinatorError {
            switch error {
            case .overloaded, .noRunners, .runnerLost:
                return HTTPError(status: .serviceUnavailable, code: "Overloaded", message: error.description).response
            case .storageUnavailable:
                return HTTPError(status: .serviceUnavailable, code: "StorageUnavailable", message: error.description).response
            case .tableNotFound:
                return HTTPError(status: .notFound, code: "TableNotFound", message: error.description).response
            case .pushRejected(let why):
                return HTTPError.badRequest("PushRejected", why).response
            case .noDeployment:
                return HTTPError(status: .notFound, code: "NoDeployment", message: error.description).response
            default:
                return HTTPError(status: .internalServerError, code: "InternalServerError", message: "Your request couldn't be completed. Try again later.").response
            }
        } catch {
            return HTTPError(status: .internalServerError, code: "InternalServerError", message: "Your request couldn't be completed. Try again later.").response
        }
    }

    /// Who is calling: an admin (may run internal functions), and the user identity functions see.
    struct Caller {
        var isAdmin = false
        var identity: Value?
    }

    /// `Authorization: Convex <admin key>` or `Bearer <user JWT>`, else `?adminKey=` (spec §2.3). Without
    /// any, the call runs anonymously.
    func authenticate(_ request: Request) async throws -> Caller {
        guard let header = request.headers[.authorization] else {
            guard let key = request.uri.queryParameters["adminKey"] else { return Caller() }
            try verifyAdminKey(String(key))
            return Caller(isAdmin: true)
        }
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            do {
                return Caller(identity: try await coordinator.verifyUserToken(String(header.dropFirst(7))).identity)
            } catch {
                throw HTTPError(status: .unauthorized, code: "Unauthenticated", message: "\(error)")
            }
        }
        guard header.count > 7, header.prefix(7).lowercased() == "convex " else {
            throw HTTPError.badRequest("InvalidAdminKey", "The Authorization header must be `Convex <admin key>` or `Bearer <token>`")
        }
        try verifyAdminKey(String(header.dropFirst(7)))
        return Caller(isAdmin: true)
    }

    private func verifyAdminKey(_ key: String) throws {
        do {
            _ = try AdminKey(verifying: key, instanceName: instanceName, instanceSecret: coordinator.instanceSecret)
        } catch {
            throw HTTPError(status: .unauthorized, code: "BadAdminKey", message: "The provided admin key was invalid for this instance: \(error)")
        }
    }

    private func call(_ request: Request, kind: FunctionKind?, pathInURL: String?) async throws -> Response {
        let caller = try await authenticate(request)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw HTTPError(status: .contentTooLarge, code: "PayloadTooLarge", message: "request bodies may be at most \(Self.maxBodyBytes) bytes")
        }
        let parsed: Value
        do {
            parsed = try ConvexJSONReader.decode(Array(body.readableBytesView))
        } catch {
            throw HTTPError.badRequest("BadJsonBody", "The request body is not valid JSON: \(error)")
        }
        guard case .object = parsed else { throw HTTPError.badRequest("BadJsonBody", "The request body must be a JSON object") }
        let pathText: String
        if let pathInURL {
            pathText = Self.pathFromURL(pathInURL)
        } else {
            guard case .string(let p)? = parsed["path"] else { throw HTTPError.badRequest("BadJsonBody", "missing field `path`") }
            pathText = p
        }
        guard let path = CanonicalFunctionPath(pathText) else {
            throw HTTPError.badRequest("BadConvexFunctionIdentifier", "Invalid function path: \(pathText)")
        }
        var format = ValueFormat.clean
        if case .string(let name)? = parsed["format"] {
            guard let f = ValueFormat(name) else { throw HTTPError.badRequest("BadFormat", "Invalid format \(name)") }
            format = f
        } else if pathInURL == nil, let client = request.headers[.init("Convex-Client")!], Self.isOldClient(client) {
            format = .encoded
        }
        let args: Value
        switch parsed["args"] {
        case nil, .null?: args = .object([:])
        case .object?: args = parsed["args"]!
        case .array(let positional)? where positional.count == 1: args = positional[0]
        default: throw HTTPError.badRequest("BadJsonBody", "args must be an object")
        }
        let resolvedKind: FunctionKind = kind ?? .query
        let result: FunctionResult
        if kind == nil {
            result = try await runAnyKind(path, args: args, caller: caller)
        } else {
            // A query reads the latest snapshot, where the shared result cache can answer it.
            let snapshot = resolvedKind == .query ? try await coordinator.latestTimestamp() : nil
            result = try await coordinator.run(path, kind: resolvedKind, args: args, identity: caller.identity, allowInternal: caller.isAdmin,
                                               snapshotTs: snapshot)
        }
        return .json(Self.body(result, format: format))
    }

    /// Clients older than Python 0.5.0 and npm 1.4.1 default to encoded JSON; everyone else to clean (spec §2.1).
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

    /// `/api/run` does not say the kind: run it as a query, and as what the runtime says it is if not.
    private func runAnyKind(_ path: CanonicalFunctionPath, args: Value, caller: Caller) async throws -> FunctionResult {
        let result = try await coordinator.run(path, kind: .query, args: args, identity: caller.identity, allowInternal: caller.isAdmin,
                                               snapshotTs: try await coordinator.latestTimestamp())
        guard case .failure(let message, _, _) = result.status,
              let kind = FunctionKind.allCases.first(where: { message.hasSuffix("but it is defined as \($0.rawValue.capitalized).") })
        else { return result }
        return try await coordinator.run(path, kind: kind, args: args, identity: caller.identity, allowInternal: caller.isAdmin)
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

    /// How a function's failure other than a ConvexError reads (spec §7.1, logs not redacted).
    static func serverError(_ message: String) -> String {
        "[Request ID: \(String(UInt64.random(in: 0...UInt64.max), radix: 16))] Server Error\n\(message)"
    }
}
