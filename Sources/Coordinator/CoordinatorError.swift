import Protocol

/// Why the coordinator could not run a call or a push.
public enum CoordinatorError: Error, Equatable, CustomStringConvertible {
    case noRunners(RunnerPool)
    case overloaded
    /// A runner could not run the call (the bundle failed to load, an internal error).
    case runner(String)
    case runnerLost(String)
    /// The storage node did not answer in time (it may be restarting). A mutation's outcome is then
    /// unknown: it may have committed.
    case storageUnavailable(String)
    case tableNotFound(String)
    case noDeployment
    /// A push that would break the deployment or its data; nothing was made live.
    case pushRejected(String)

    /// Whether a mutation that failed so may have committed all the same: its runner or its storage
    /// connection was lost after it was sent, and no answer came. Only a call under the same
    /// idempotency key can tell.
    public var leavesOutcomeUnknown: Bool {
        switch self {
        case .runnerLost, .storageUnavailable, .noRunners: return true
        case .overloaded, .runner, .tableNotFound, .noDeployment, .pushRejected: return false
        }
    }

    public var description: String {
        switch self {
        case .noRunners(let pool): return "no \(pool) runner is connected"
        case .overloaded: return "the deployment is overloaded; try again later"
        case .runner(let message): return message
        case .runnerLost(let why): return "the function runner was lost: \(why)"
        case .storageUnavailable(let why): return "the storage node is unavailable: \(why)"
        case .tableNotFound(let table): return "There is no table \"\(table)\"."
        case .noDeployment: return "nothing has been deployed yet"
        case .pushRejected(let why): return why
        }
    }
}
