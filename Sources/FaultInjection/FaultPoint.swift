import Foundation

/// Places where a test can make a process die as `kill -9` would, to show what survives a crash.
///
/// Off unless `CONVERGE_FAULTS` names a directory (children of `converge serve` inherit it). A point
/// fires when a file of its name exists there: the process removes the file, so the point fires once
/// whichever process reaches it first, and sends itself SIGKILL.
public enum FaultPoint: String, CaseIterable, Sendable {
    /// The storage node, after a batch that carries a commit receipt is durable and before any of its
    /// commits is acknowledged.
    case storageAfterDurableWrite = "storage.after-durable-write"
    /// The coordinator, after a sync mutation has run and before its response is sent.
    case coordinatorAfterMutation = "coordinator.after-mutation"
    /// A db runner, after a mutation has committed and before it answers the coordinator.
    case runnerAfterCommit = "runner.after-commit"

    private static let directory = ProcessInfo.processInfo.environment["CONVERGE_FAULTS"].flatMap { $0.isEmpty ? nil : $0 }

    /// Dies here if this point is armed.
    @inline(__always)
    public func reached() {
        guard let directory = Self.directory else { return }
        fire(in: directory)
    }

    @inline(never)
    private func fire(in directory: String) {
        // Removing the file is what arms nobody else: exactly one process sees unlink succeed.
        guard unlink(directory + "/" + rawValue) == 0 else { return }
        kill(getpid(), SIGKILL)
    }
}
