/// Runs async work one piece at a time, in arrival order (pushes: each reads the catalog and the live
/// deployment and changes both, so two at once could undo each other).
actor OneAtATime {
    private let lock = FirstComeLock()

    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        await lock.acquire()
        defer { lock.release() }
        return try await work()
    }
}
