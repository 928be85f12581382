import Protocol

/// Calls the handlers of the watchers one change fired, from at most `lanes` tasks that each take
/// every `lanes`-th watcher in turn. A handler that would wait long (its session is busy) is expected
/// to hand its work to a task of its own rather than hold up the rest of its lane.
enum Delivery {
    /// Enough to keep both cores of a small host busy and to overlap the one handler of a batch that
    /// runs the query (the rest find its result) with those behind it.
    static let lanes = 4

    static func start(_ fired: [(UInt64, SubscriptionHub.Handler)], changedAt: Timestamp?) {
        guard !fired.isEmpty else { return }
        for lane in 0..<min(lanes, fired.count) {
            Task {
                for index in stride(from: lane, to: fired.count, by: lanes) {
                    let (watcher, handler) = fired[index]
                    await handler(watcher, changedAt)
                }
            }
        }
    }
}
