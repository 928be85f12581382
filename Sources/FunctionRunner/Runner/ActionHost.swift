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
        let kinds: [String: FunctionKind] = ["runQuery": .query, "runMutation": .mutation, "runAction": .action]
        guard let kind = kinds[operation] else { throw HostError("\(operation) is not available in actions") }
        guard case .string(let name)? = arguments["name"] else { throw HostError("\(operation) needs a function reference") }
        let answer = try await callBack(.actionCall(kind: kind, name: name, args: arguments["args"] ?? .object([:]), identity: identity))
        switch answer {
        case .result(let result):
            switch result.status {
            case .success(let value): return value
            case let .failure(message, _, _): throw HostError(message)
            }
        case .failed(let message): throw HostError(message)
        default: throw HostError("unexpected answer to \(operation)")
        }
    }

    func callSync(_ operation: String, _ arguments: Value) throws -> Value {
        throw HostError("\(operation) is not available in actions")
    }
}
