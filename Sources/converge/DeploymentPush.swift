import AsyncHTTPClient
import Foundation
import FunctionRunner
import NIOCore

/// Bundles a `convex/` folder and makes it the live deployment of a running Converge.
enum DeploymentPush {
    static func push(directory: String, url: String, adminKey: String) async throws {
        let bundle = try AppBundler.bundle(convexDirectory: URL(fileURLWithPath: directory))
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: ["/"]) + "/api/converge/push")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Convex \(adminKey)")
        request.body = .bytes(ByteBuffer(string: bundle))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw ServeError("pushing \(directory) failed (\(response.status.code)): \(String(buffer: body))")
        }
    }
}
