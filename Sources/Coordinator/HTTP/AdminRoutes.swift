import Hummingbird
import Protocol

/// The admin routes under `/api/converge/`, for the CLI: push a deployment, follow the function log,
/// read data, list and change environment variables, describe the live deployment. All need an
/// admin key.
extension HTTPAPI {
    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/converge/push") { request, _ in
            await respond {
                try await requireAdmin(request, for: "pushing a deployment")
                var body = try await request.body.collect(upTo: 256 << 20)
                let bundle = body.readString(length: body.readableBytes) ?? ""
                return .json(try await coordinator.push(bundle: bundle).json)
            }
        }
        // Function executions, newest last: `?after=SEQ` returns those after it, waiting up to `wait`
        // seconds (default 0, at most 60) for one; the answer's `latest` is where to ask from next.
        router.get("/api/converge/logs") { request, _ in
            await respond {
                try await requireAdmin(request, for: "reading logs")
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
                return .json("{\"latest\":\(latest),\"entries\":[\(entries.map(\.json).joined(separator: ","))]}")
            }
        }
        // Data: the table names, and documents of one (`?table=T&limit=N&order=asc|desc`), for `converge data`.
        router.get("/api/converge/tables") { request, _ in
            await respond {
                try await requireAdmin(request, for: "reading data")
                return .json(ConvexJSONWriter.encodeString(.array(try await coordinator.tableNames().map(Value.string))))
            }
        }
        router.get("/api/converge/documents") { request, _ in
            await respond {
                try await requireAdmin(request, for: "reading data")
                guard let table = request.uri.queryParameters["table"] else { throw HTTPError.badRequest("MissingTable", "give ?table=NAME") }
                let limit = request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 100
                let order = request.uri.queryParameters["order"].map(String.init) ?? "desc"
                guard order == "asc" || order == "desc" else { throw HTTPError.badRequest("BadOrder", "order is asc or desc") }
                let documents = try await coordinator.documents(of: String(table), limit: limit, ascending: order == "asc")
                return .json("[" + documents.map { ValueFormat.clean.json($0) }.joined(separator: ",") + "]")
            }
        }
        // Environment variables: GET lists them; POST `{"changes": [{"name", "value"}]}` sets them (a null value removes one).
        router.get("/api/converge/env") { request, _ in
            await respond {
                try await requireAdmin(request, for: "reading or changing environment variables")
                return .json(Self.environmentJSON(await coordinator.environmentVariables()))
            }
        }
        router.post("/api/converge/env") { request, _ in
            await respond {
                try await requireAdmin(request, for: "reading or changing environment variables")
                let body = try await request.body.collect(upTo: 2 << 20)
                guard case .array(let list)? = (try? ConvexJSONReader.decode(Array(body.readableBytesView)))?["changes"] else {
                    throw HTTPError.badRequest("BadJsonBody", "expected {\"changes\": [{\"name\": …, \"value\": … or null}]}")
                }
                var changes: [(name: String, value: String?)] = []
                for change in list {
                    guard case .string(let name)? = change["name"] else { throw HTTPError.badRequest("BadJsonBody", "every change needs a name") }
                    switch change["value"] {
                    case .string(let value)?: changes.append((name, value))
                    case .null?, nil: changes.append((name, nil))
                    default: throw HTTPError.badRequest("BadJsonBody", "the value of \(name) must be a string or null")
                    }
                }
                do {
                    return .json(Self.environmentJSON(try await coordinator.changeEnvironmentVariables(changes)))
                } catch let error as EnvironmentError {
                    throw HTTPError.badRequest("InvalidEnvironmentVariable", error.description)
                }
            }
        }
        // The live deployment's functions, HTTP routes, crons, schema and auth providers, as a runner described them.
        router.get("/api/converge/functions") { request, _ in
            await respond {
                try await requireAdmin(request, for: "listing functions")
                return .json(ConvexJSONWriter.encodeString(try await coordinator.liveAnalysis()))
            }
        }
    }

    /// Refuses anyone but an admin, saying what needs the key.
    func requireAdmin(_ request: Request, for what: String) async throws {
        guard try await authenticate(request).isAdmin else {
            throw HTTPError(status: .forbidden, code: "Forbidden", message: "\(what) needs an admin key")
        }
    }

    static func environmentJSON(_ values: [String: String]) -> String {
        ConvexJSONWriter.encodeString(.object(values.mapValues(Value.string)))
    }

}
