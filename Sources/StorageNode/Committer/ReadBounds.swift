import Protocol
import Synchronization

/// The range of timestamps reads may use: at most the published timestamp (everything at or below it
/// is durable), at least the oldest readable one (retention may have deleted versions below it).
/// Atomics, so a read checks them without queueing behind the committer.
final class ReadBounds: Sendable {
    private let published: Atomic<UInt64>
    private let oldestReadable: Atomic<UInt64>

    init(published: Timestamp, oldestReadable: Timestamp) {
        self.published = Atomic(published)
        self.oldestReadable = Atomic(min(oldestReadable, published))
    }

    var publishedTs: Timestamp { published.load(ordering: .acquiring) }
    var oldestReadableTs: Timestamp { oldestReadable.load(ordering: .acquiring) }

    /// Only the committer calls this, in timestamp order.
    func publish(_ ts: Timestamp) {
        published.store(ts, ordering: .releasing)
    }

    /// Moves the oldest readable timestamp up, never past the published one.
    func raiseOldestReadable(to ts: Timestamp) {
        let target = min(ts, publishedTs)
        var current = oldestReadableTs
        while current < target {
            let (exchanged, original) = oldestReadable.compareExchange(expected: current, desired: target, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// Throws unless `ts` is readable now. Readers check again after reading, since retention may have
    /// moved the bound and deleted versions while they read.
    func check(_ ts: Timestamp) throws {
        let published = publishedTs
        guard ts <= published else {
            throw StorageError(.badRequest, "timestamp \(ts) is after the latest timestamp \(published)")
        }
        let oldest = oldestReadableTs
        guard ts >= oldest else {
            throw StorageError(.timestampTooOld, "timestamp \(ts) is older than the retention window (oldest readable: \(oldest))")
        }
    }
}
