import CMalloc
import Foundation
import Logging
import Synchronization

/// Gives the memory of sockets that came and went back to the system.
///
/// glibc's allocator keeps what is freed in its arenas for reuse, so the coordinator's resident size
/// stays at the high-water mark of its busiest moment. Measured with heaptrack after 12,000 sockets
/// had subscribed and closed: 8.5 MiB of the heap was still allocated while the process held 260 MiB,
/// and `malloc_trim` handed 81 MiB of it back at once. So, when the number of open sync sessions has
/// fallen well below its peak since the last trim, this trims once; the cost (a walk over the
/// arenas, each locked while it is trimmed) is paid after a crowd has left, not per socket.
final class MemoryReclaimer: Sendable {
    private struct State {
        var open = 0
        var peakSinceTrim = 0
    }

    private let state = Mutex(State())
    /// Sessions that must have gone, below the peak, before a trim is worth it.
    private let threshold: Int
    private let logger: Logger

    init(threshold: Int = 500, logger: Logger) {
        self.threshold = threshold
        self.logger = logger
    }

    func sessionOpened() {
        state.withLock { state in
            state.open += 1
            state.peakSinceTrim = max(state.peakSinceTrim, state.open)
        }
    }

    func sessionClosed() {
        state.withLock { $0.open -= 1 }
    }

    /// Looks every `period` whether enough sessions have gone to trim; runs until cancelled.
    func run(every period: Duration = .seconds(1)) async {
        while (try? await Task.sleep(for: period)) != nil {
            guard shouldTrim() else { continue }
            let before = Self.residentBytes()
            let started = ContinuousClock.now
            malloc_trim(0)
            let returned = max(0, before - Self.residentBytes())
            logger.debug("returned \(returned >> 20) MiB to the system in \(ContinuousClock.now - started)")
        }
    }

    /// Not inlined into `run`, which calls it after an `await` (see `QueryResultCache.keep(_:of:)`).
    @inline(never)
    private func shouldTrim() -> Bool {
        state.withLock { state in
            guard state.peakSinceTrim - state.open >= threshold else { return false }
            state.peakSinceTrim = state.open
            return true
        }
    }

    private static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return (status.firstMatch(of: /VmRSS:\s+(\d+) kB/).flatMap { Int($0.1) } ?? 0) * 1024
    }
}
