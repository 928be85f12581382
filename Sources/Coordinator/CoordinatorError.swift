import Protocol

/// Why the coordinator could not run a call or a push.
public enum CoordinatorError: Error, Equatable, CustomStringConvertible {
    case noRunners(RunnerPool)
    case overloaded
    /// A runner could not run the call and said why (the bundle failed to load, an internal error).
    case runnerFailed(String)
    /// A runner answered with a message that is no answer to what it was asked.
    case unexpectedAnswer(kind: UInt8)
    case runnerLost(String)
    /// The storage node did not answer in time (it may be restarting). A mutation's outcome is then
    /// unknown: it may have committed.
    case storageUnavailable(String)
    case tableNotFound(String)
    case noDeployment
    /// A push that would break the deployment or its data; nothing was made live.
    case pushRejected(String)
    /// A runner's analysis of a bundle that cannot be read.
    case invalidAnalysis(String)
    /// What a runner asked the coordinator for and could not have.
    case unknownBundle(hash: String)
    case unknownEnvironment(hash: String)
    case invalidFunctionPath(String)
    case notARunnerRequest(kind: UInt8)

    /// Whether a mutation that failed so may have committed all the same: its runner or its storage
    /// connection was lost after it was sent, and no answer came. Only a call under the same
    /// idempotency key can tell.
    public var leavesOutcomeUnknown: Bool {
        switch self {
        case .runnerLost, .storageUnavailable, .noRunners: return true
        case .overloaded, .runnerFailed, .unexpectedAnswer, .tableNotFound, .noDeployment, .pushRejected, .invalidAnalysis, .unknownBundle,
             .unknownEnvironment, .invalidFunctionPath, .notARunnerRequest:
            return false
        }
    }

    public var description: String {
        switch self {
        case .noRunners(let pool): return "no \(pool) runner is connected"
        case .overloaded: return "the deployment is overloaded; try again later"
        case .runnerFailed(let message): return message
        case .unexpectedAnswer(let kind): return "the runner answered with a message of kind \(kind), which answers nothing it was asked"
        case .runnerLost(let why): return "the function runner was lost: \(why)"
        case .storageUnavailable(let why): return "the storage node is unavailable: \(why)"
        case .tableNotFound(let table): return "There is no table \"\(table)\"."
        case .noDeployment: return "nothing has been deployed yet"
        case .pushRejected(let why): return why
        case .invalidAnalysis(let why): return "the runner's analysis of the bundle cannot be read: \(why)"
        case .unknownBundle(let hash): return "no bundle \(hash)"
        case .unknownEnvironment(let hash): return "no environment \(hash)"
        case .invalidFunctionPath(let name): return "Invalid function path: \(name)"
        case .notARunnerRequest(let kind): return "a runner may not send a message of kind \(kind)"
        }
    }
}
