import CMalloc
import Foundation
import Logging
import Synchronization

/// Gives the memory of sockets that came and went back to the system.
///
/// glibc's allocator keeps what is freed in its arenas for reuse, so the coordinator's resident size
/// stays at the high-water mark of its busiest moment. Measured with heaptrack after 12,000 sockets
/// had subscribed and closed: 8.5 MiB of the heap was still allocated while the process held 260 MiB,
/// and `malloc_trim` handed 81 MiB of it back at once. So, once a crowd of sessions has left (see
/// `TrimSchedule`), this trims once; the cost (a walk over the arenas, each locked while it is
/// trimmed) is paid after a crowd has left, not per socket.
final class MemoryReclaimer: Sendable {
    private let schedule: Mutex<TrimSchedule>
    private let logger: Logger

    init(threshold: Int = 500, logger: Logger) {
        schedule = Mutex(TrimSchedule(threshold: threshold))
        self.logger = logger
    }

    func sessionOpened() {
        schedule.withLock { $0.opened() }
    }

    func sessionClosed() {
        schedule.withLock { $0.closed() }
    }

    /// Looks every `period` whether a crowd has left to trim after; runs until cancelled.
    func run(every period: Duration = .seconds(1)) async {
        while (try? await Task.sleep(for: period)) != nil {
            guard tick() else { continue }
            let before = Self.residentBytes()
            let started = ContinuousClock.now
            malloc_trim(0)
            let returned = max(0, before - Self.residentBytes())
            logger.debug("returned \(returned >> 20) MiB to the system in \(ContinuousClock.now - started)")
        }
    }

    private func tick() -> Bool {
        schedule.withLockAfterAwait { $0.tick() }
    }

    private static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return (status.firstMatch(of: /VmRSS:\s+(\d+) kB/).flatMap { Int($0.1) } ?? 0) * 1024
    }
}

/// When to trim: once the open sessions have fallen at least `threshold` below their peak since the
/// last trim, and have stopped falling for one tick. Trimming while a crowd is still leaving would
/// miss what its last sockets free, and the next trim would wait for another crowd.
struct TrimSchedule: Equatable {
    let threshold: Int
    private(set) var open = 0
    private(set) var peakSinceTrim = 0
    private var openAtLastTick = 0

    init(threshold: Int) {
        self.threshold = threshold
    }

    mutating func opened() {
        open += 1
        peakSinceTrim = max(peakSinceTrim, open)
    }

    mutating func closed() {
        open -= 1
    }

    /// Called once a period; true when it is time to trim (and the peak starts again from now).
    mutating func tick() -> Bool {
        let stillFalling = open < openAtLastTick
        openAtLastTick = open
        guard !stillFalling, peakSinceTrim - open >= threshold else { return false }
        peakSinceTrim = open
        return true
    }
}
