import Hummingbird
import HTTPTypes
import NIOCore
import Protocol

/// The deployment's HTTP actions (`convex/http.ts`) on their own port, as Convex serves them on a
/// deployment's `.site` URL: every method and path goes to the bundle's router on an action runner.
/// `Authorization: Bearer <JWT>` gives the handler a user identity.
struct HTTPActionSite: Sendable {
    let coordinator: Coordinator

    /// Convex's limit on an HTTP action's request body.
    static let maxBodyBytes = 20 << 20

    func respond(to request: Request) async -> Response {
        do {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                throw APIError(.contentTooLarge, "PayloadTooLarge", "HTTP action bodies may be at most \(Self.maxBodyBytes) bytes")
            }
            var identity: Value?
            if let token = request.bearerToken { identity = try await coordinator.identity(provenBy: token) }
            let authority = request.head.authority ?? "localhost"
            let http: Value = .object([
                "method": .string(request.method.rawValue),
                "url": .string("http://\(authority)\(request.uri.description)"),
                "headers": .array(request.headers.map { .array([.string($0.name.canonicalName), .string($0.value)]) }),
                "body": body.readableBytes > 0 ? .bytes(Array(body.readableBytesView)) : .null,
            ])
            let result = try await coordinator.runHTTPAction(http, identity: identity)
            switch result.status {
            case .success(let value):
                return try Self.response(from: value)
            case .failure(let message, _, _):
                return Response(status: .internalServerError, headers: [.contentType: "text/plain;charset=UTF-8"],
                                body: .init(byteBuffer: ByteBuffer(string: HTTPAPI.serverError(message))))
            }
        } catch {
            // As the API answers: nothing deployed is a 404, a busy or lost runner a 503.
            return APIError.reporting(error).response
        }
    }

    /// The `{status, headers, body}` the runtime made of the handler's `Response`.
    private static func response(from value: Value) throws -> Response {
        guard case .float64(let code)? = value["status"], let status = Int(exactly: code), (100...599).contains(status),
              case .array(let pairs)? = value["headers"]
        else { throw APIError(.internalServerError, "InternalServerError", "the HTTP action returned an invalid Response") }
        var headers = HTTPFields()
        for pair in pairs {
            guard case .array(let parts) = pair, parts.count == 2, case .string(let name) = parts[0], case .string(let text) = parts[1],
                  let field = HTTPField.Name(name)
            else { continue }
            headers.append(HTTPField(name: field, value: text))
        }
        var body = ByteBuffer()
        if case .bytes(let bytes)? = value["body"] { body.writeBytes(bytes) }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body))
    }
}

extension Coordinator {
    /// Serves the deployment's HTTP actions on `host:port` until the calling task is cancelled.
    /// `onRunning` gets the bound port (useful with port 0).
    public func serveHTTPActions(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let site = HTTPActionSite(coordinator: self)
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await site.respond(to: request) },
            configuration: .init(address: .hostname(host, port: port), serverName: "converge"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
        try await app.runService()
    }
}
