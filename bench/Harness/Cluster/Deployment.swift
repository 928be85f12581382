import AsyncHTTPClient
import Foundation
import NIOCore
import Protocol

/// The deployment under load: its URL and admin key, the local cluster behind it when the harness
/// started one, and the HTTP calls the workloads make besides the sync protocol.
struct Deployment: Sendable {
    let url: String
    let adminKey: String
    let cluster: LocalCluster?

    /// Runs a function over the HTTP API (`/api/query`, `/api/mutation`) and returns its value.
    func call(_ kind: String, _ path: String, args: String = "{}") async throws -> Value {
        var request = HTTPClientRequest(url: url + "/api/\(kind)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"path":"\#(path)","args":\#(args),"format":"json"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        let answer = try ConvexJSONReader.decode(String(buffer: body))
        guard answer["status"] == .string("success") else {
            throw BenchFailure("\(path) failed: \(answer["errorMessage"].map { ConvexJSONWriter.encodeString($0) } ?? String(buffer: body))")
        }
        return answer["value"] ?? .null
    }

    /// One counter or gauge from the coordinator's `/metrics`, summed over its label sets (those that
    /// contain `labels`, e.g. `function="bench:setDoc"`, when given).
    func metric(_ name: String, labels: String? = nil) async throws -> Double {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        return text.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(name + " ") || line.hasPrefix(name + "{"), labels.map(line.contains) ?? true, let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return total }
            return total + value
        }
    }
}

extension Value {
    /// A JSON number as the HTTP API returns it, whichever way it was decoded.
    var number: Double? {
        switch self {
        case .float64(let n): n
        case .int64(let n): Double(n)
        default: nil
        }
    }
}
