import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock` for code that runs after an `await`. `Mutex` locks with the current thread's ID; when
    /// `withLock` is inlined into an async function, the optimizer may read that ID once, before an
    /// `await`, and use it after the function resumed on another thread, and the unlock then fails
    /// ("Call to unlock Mutex on a thread which hasn't acquired the lock"). It did, in release builds.
    /// Never inlined, this reads the ID where it locks.
    @inline(never)
    public borrowing func withLockAfterAwait<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        try withLock(body)
    }
}
