import Synchronization

/// State shared by a workload's tasks, behind a lock. A class, so that escaping task closures can
/// capture it (a `Mutex` itself cannot be copied into them).
final class Locked<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    init(_ state: State) {
        mutex = Mutex(state)
    }

    func withLock<Result: Sendable>(_ body: (inout State) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }

    var value: State { withLock { $0 } }
}
