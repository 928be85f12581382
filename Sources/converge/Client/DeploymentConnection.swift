import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Protocol

/// A deployment's URL and admin key, and the admin calls the CLI makes with them. Failures come back
/// as one line that says what to fix.
struct DeploymentConnection: Sendable {
    let url: String
    let adminKey: String

    /// Sends a request with the admin key and returns the body of a 200; anything else throws.
    func request(_ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil, timeout: TimeAmount = .seconds(60)) async throws -> ByteBuffer {
        try await checkReachable()
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Convex \(adminKey)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw CLIError("The request to \(url)\(path) failed: \(error)")
        }
        let data = try await response.body.collect(upTo: 64 << 20)
        return try Self.checked(response.status, data, url: url)
    }

    /// A quick `GET /version`: async-http-client keeps retrying a refused connection until the
    /// request's deadline, which for a push is long; nobody should wait that long to learn of a typo.
    private func checkReachable() async throws {
        do {
            _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/version"), timeout: .seconds(5))
        } catch {
            throw CLIError("Cannot reach the deployment at \(url) (\(error)). Is `converge serve` running there? Check --url or CONVEX_SELF_HOSTED_URL.")
        }
    }

    private static func checked(_ status: HTTPResponseStatus, _ data: ByteBuffer, url: String) throws -> ByteBuffer {
        guard status == .ok else {
            let answer = try? ConvexJSONReader.decode(String(buffer: data))
            let code = answer?["code"].flatMap { if case .string(let c) = $0 { c } else { nil } }
            let message = answer?["message"].flatMap { if case .string(let m) = $0 { m } else { nil } }
                ?? "The deployment at \(url) answered \(status.code) \(status.reasonPhrase)."
            if code == "BadAdminKey" || code == "Forbidden" {
                throw CLIError("The deployment at \(url) refused the admin key (\(code!)). Check --admin-key or CONVEX_SELF_HOSTED_ADMIN_KEY.")
            }
            throw CLIError(message)
        }
        return data
    }
}

/// A failure the CLI reports as one line and a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
