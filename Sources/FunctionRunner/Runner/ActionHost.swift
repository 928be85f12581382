import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Protocol

/// Serves an action's calls. An action runner has no storage connection: `ctx.runQuery`,
/// `runMutation` and `runAction` go back to the coordinator, which runs them where they belong.
final class ActionHost: FunctionHost, @unchecked Sendable {
    private let identity: Value?
    private let callBack: @Sendable (RunnerMessage) async throws -> RunnerMessage

    init(identity: Value?, callBack: @escaping @Sendable (RunnerMessage) async throws -> RunnerMessage) {
        self.identity = identity
        self.callBack = callBack
    }

    func call(_ operation: String, _ arguments: Value) async throws -> Value {
        switch operation {
        case "sleep":
            guard case .float64(let ms)? = arguments["ms"], ms.isFinite, ms >= 0 else { throw HostError("sleep needs a finite, non-negative ms") }
            try await Task.sleep(for: .milliseconds(min(ms, Double(Int32.max))))
            return .null
        case "fetch":
            return try await fetch(arguments)
        default:
            return try await callBack(operation, arguments)
        }
    }

    /// `fetch` from an action, through async-http-client; at most 16 MiB of response body.
    private func fetch(_ arguments: Value) async throws -> Value {
        guard case .string(let url)? = arguments["url"], case .string(let method)? = arguments["method"] else {
            throw HostError("fetch needs a URL and a method")
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if case .array(let headers)? = arguments["headers"] {
            for case .array(let pair) in headers where pair.count == 2 {
                if case .string(let name) = pair[0], case .string(let value) = pair[1] { request.headers.add(name: name, value: value) }
            }
        }
        if case .bytes(let body)? = arguments["body"] { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            throw HostError("TypeError: fetch failed: \(error)")
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        return .object([
            "status": .float64(Double(response.status.code)),
            "statusText": .string(response.status.reasonPhrase),
            "headers": .array(response.headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": .bytes(Array(body.readableBytesView)),
        ])
    }

    private func callBack(_ operation: String, _ arguments: Value) async throws -> Value {
        let kinds: [String: FunctionKind] = ["runQuery": .query, "runMutation": .mutation, "runAction": .action]
        guard let kind = kinds[operation] else { throw HostError("\(operation) is not available in actions") }
        guard case .string(let name)? = arguments["name"] else { throw HostError("\(operation) needs a function reference") }
        let answer = try await callBack(.actionCall(kind: kind, name: name, args: arguments["args"] ?? .object([:]), identity: identity))
        switch answer {
        case .result(let result):
            switch result.status {
            case .success(let value): return value
            case let .failure(message, data, _): throw HostError(message, convexErrorData: data)
            }
        case .failed(let message): throw HostError(message)
        default: throw HostError("unexpected answer to \(operation)")
        }
    }

    func callSync(_ operation: String, _ arguments: Value) throws -> Value {
        // Argument validation of `v.id(...)` asks this. An action has no catalog to look the table up
        // in, so any well-formed ID passes here; the query or mutation it is passed to checks the table.
        guard operation == "normalizeId" else { throw HostError("\(operation) is not available in actions") }
        guard case .string(let text)? = arguments["id"], DocumentID(text) != nil else { return .null }
        return .string(text)
    }
}
