import NIOCore
import Protocol

/// Idempotency keys of the commits validated lately, queued or durable, with their timestamps. A
/// repeat of one of them is caught here without a disk lookup, including a repeat that arrives while
/// the first is still on its way to disk. Older keys are found on disk, when the caller says to look.
struct RecentReceipts {
    private var timestamps: [[UInt8]: Timestamp] = [:]
    private var order = CircularBuffer<(key: [UInt8], ts: Timestamp)>()
    /// How long a key stays here after its commit: far longer than a disk lookup takes.
    private let keepNanos: UInt64

    init(keepNanos: UInt64 = 60 * 1_000_000_000) {
        self.keepNanos = keepNanos
    }

    subscript(key: [UInt8]) -> Timestamp? { timestamps[key] }

    mutating func insert(_ key: [UInt8], ts: Timestamp) {
        timestamps[key] = ts
        order.append((key, ts))
    }

    /// Forgets keys committed more than `keepNanos` before `now` (commit timestamps are wall-clock nanoseconds).
    mutating func evict(now: Timestamp) {
        while let first = order.first, first.ts + keepNanos < now {
            order.removeFirst()
            timestamps[first.key] = nil
        }
    }
}
