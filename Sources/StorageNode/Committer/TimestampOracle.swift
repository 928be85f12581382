import Foundation
import Protocol

/// Hands out commit timestamps: wall-clock nanoseconds, but always above the last one given,
/// including the last one persisted before a restart.
struct TimestampOracle {
    private(set) var last: Timestamp

    init(after persisted: Timestamp) {
        last = persisted
    }

    mutating func next() -> Timestamp {
        last = max(Self.now(), last + 1)
        return last
    }

    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(spec.tv_sec) * 1_000_000_000 + Timestamp(spec.tv_nsec)
    }
}
