import Hummingbird
import Protocol

/// The admin routes under `/api/converge/`, for the CLI: push a deployment, follow the function log,
/// read data, list and change environment variables, describe the live deployment. All need an
/// admin key (`AdminOnlyMiddleware` on their group).
extension HTTPAPI {
    func addAdminRoutes(to router: RouterGroup<BasicRequestContext>) {
        router.post("push") { request, _ in
            var body = try await request.body.collect(upTo: 256 << 20)
            let bundle = body.readString(length: body.readableBytes) ?? ""
            return Response.json(try await coordinator.push(bundle: bundle).json)
        }
        // Function executions, newest last: `?after=SEQ` returns those after it, waiting up to `wait`
        // seconds (default 0, at most 60) for one; the answer's `latest` is where to ask from next.
        router.get("logs") { request, _ in
            let after = request.uri.queryParameters["after"].flatMap { UInt64($0) }
            let asked = request.uri.queryParameters["wait"].flatMap { Double($0) } ?? 0
            let wait = asked.isFinite ? max(0, min(60, asked)) : 0
            let log = coordinator.functionLog
            // Without `after`, start at the newest entry: a new follower sees only what comes next.
            let newest = log.latestSequence
            // A sequence past the newest means the coordinator restarted (they start again at 1).
            let from = after.map { $0 > newest ? 0 : $0 } ?? newest
            let entries = await log.entries(after: from, wait: .seconds(after == nil ? 0 : wait))
            let latest = entries.last?.sequence ?? from
            return Response.json("{\"latest\":\(latest),\"entries\":[\(entries.map(\.json).joined(separator: ","))]}")
        }
        // Data: the table names, and documents of one (`?table=T&limit=N&order=asc|desc`), for `converge data`.
        router.get("tables") { _, _ in
            Response.json(ConvexJSONWriter.encodeString(.array(try await coordinator.tableNames().map(Value.string))))
        }
        router.get("documents") { request, _ in
            guard let table = request.uri.queryParameters["table"] else { throw APIError.badRequest("MissingTable", "give ?table=NAME") }
            let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 100
            let order = request.uri.queryParameters["order"].map(String.init) ?? "desc"
            guard order == "asc" || order == "desc" else { throw APIError.badRequest("BadOrder", "order is asc or desc") }
            let documents = try await coordinator.documents(of: String(table), limit: limit, ascending: order == "asc")
            return Response.json("[" + documents.map { ValueFormat.clean.json($0) }.joined(separator: ",") + "]")
        }
        // Environment variables: GET lists them; POST `{"changes": [{"name", "value"}]}` sets them (a null value removes one).
        router.get("env") { _, _ in
            Response.json(Self.environmentJSON(await coordinator.environmentVariables()))
        }
        router.post("env") { request, _ in
            let body = try await request.body.collect(upTo: 2 << 20)
            guard case .array(let list)? = (try? ConvexJSONReader.decode(Array(body.readableBytesView)))?["changes"] else {
                throw APIError.badRequest("BadJsonBody", "expected {\"changes\": [{\"name\": …, \"value\": … or null}]}")
            }
            var changes: [(name: String, value: String?)] = []
            for change in list {
                guard case .string(let name)? = change["name"] else { throw APIError.badRequest("BadJsonBody", "every change needs a name") }
                switch change["value"] {
                case .string(let value)?: changes.append((name, value))
                case .null?, nil: changes.append((name, nil))
                default: throw APIError.badRequest("BadJsonBody", "the value of \(name) must be a string or null")
                }
            }
            do {
                return Response.json(Self.environmentJSON(try await coordinator.changeEnvironmentVariables(changes)))
            } catch let error as EnvironmentError {
                throw APIError.badRequest("InvalidEnvironmentVariable", error.description)
            }
        }
        // The live deployment's functions, HTTP routes, crons, schema and auth providers, as a runner described them.
        router.get("functions") { _, _ in
            Response.json(ConvexJSONWriter.encodeString(try await coordinator.liveAnalysis()))
        }
    }

    static func environmentJSON(_ values: [String: String]) -> String {
        ConvexJSONWriter.encodeString(.object(values.mapValues(Value.string)))
    }
}

/// Lets only admins through: a request without an admin key is refused with 403 (one with a wrong
/// key with 401, by `authenticate`), saying what needed it.
struct AdminOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    let api: HTTPAPI

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try await api.authenticate(request).isAdmin else {
            throw APIError(.forbidden, "Forbidden", "\(request.method) \(request.uri.path) needs an admin key")
        }
        return try await next(request, context)
    }
}
