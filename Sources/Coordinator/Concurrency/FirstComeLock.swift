/// A lock for async work on one actor: whoever asks gets it in arrival order, each waiter handed it
/// directly by the holder before, so a stream of newcomers cannot overtake one that waits (a sync
/// session's invalidations cannot starve the client's own messages). Confined to its actor: it runs
/// where its caller runs.
final class FirstComeLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Whether someone holds it: `acquire()` would wait.
    var isHeld: Bool { held }

    nonisolated(nonsending) func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
