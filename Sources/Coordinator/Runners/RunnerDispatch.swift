import NIOCore
import Protocol

/// The runners that dialed in, by pool. A call goes to the least-loaded runner of its pool that has
/// room; when every runner is full it waits its turn, and past `maxQueued` waiting calls the pool
/// answers "overloaded" instead of queueing without bound.
actor RunnerDispatch {
    struct Runner {
        let id: UInt64
        let pool: RunnerPool
        let capacity: Int
        let name: String
        let peer: FramePeer
        var inFlight = 0
        var calls = 0
    }

    private var runners: [UInt64: Runner] = [:]
    private var waiting: [RunnerPool: CircularBuffer<CheckedContinuation<Void, Never>>] = [:]
    /// Calls sent again because the runner holding them was lost.
    private(set) var retries = 0
    private let maxQueued: Int
    /// How long a call waits for a runner of its pool to connect at all (one may be restarting).
    private let waitForRunners: Duration

    private let metrics: CoordinatorMetrics

    init(maxQueued: Int = 10_000, waitForRunners: Duration, metrics: CoordinatorMetrics) {
        self.maxQueued = maxQueued
        self.waitForRunners = waitForRunners
        self.metrics = metrics
    }

    func add(id: UInt64, pool: RunnerPool, capacity: Int, name: String, peer: FramePeer) {
        runners[id] = Runner(id: id, pool: pool, capacity: capacity, name: name, peer: peer)
        wake(pool)
    }

    func remove(id: UInt64) {
        guard let runner = runners.removeValue(forKey: id) else { return }
        wake(runner.pool)
    }

    /// Calls dispatched to each connected runner of the pool, by runner name.
    func callCounts(_ pool: RunnerPool) -> [String: Int] {
        Dictionary(runners.values.filter { $0.pool == pool }.map { ($0.name, $0.calls) }, uniquingKeysWith: +)
    }

    func count(_ pool: RunnerPool) -> Int {
        runners.values.filter { $0.pool == pool }.count
    }

    func counts() -> [RunnerPool: Int] {
        var counts: [RunnerPool: Int] = [.db: 0, .action: 0]
        for runner in runners.values { counts[runner.pool, default: 0] += 1 }
        return counts
    }

    /// Runs a call on some runner of `pool`. A query whose runner died is retried on another, and so
    /// is a mutation: under the same idempotency key, so the storage node commits it at most once and a
    /// retry of one that did commit gets the first outcome back. An action is not retried (it may have
    /// had effects outside the database); its caller gets the error.
    func call(_ run: RunFunction, pool: RunnerPool) async throws -> FunctionResult {
        var run = run
        if run.kind == .mutation, run.idempotencyKey == nil { run.idempotencyKey = .generate() }
        var attempts = 0
        while true {
            let runner = try await reserve(pool)
            defer { release(runner.id) }
            let frame: Frame
            do {
                let message = RunnerMessage.run(run)
                frame = try await runner.peer.ask { message.frame(requestID: $0) }
            } catch {
                // The connection failed under the call (a closed channel, a reset): the runner is lost.
                remove(id: runner.id)
                attempts += 1
                guard run.kind != .action, attempts < 3 else { throw CoordinatorError.runnerLost("\(error)") }
                run.isRetry = true
                retries += 1
                metrics.runnerRetries.increment()
                continue
            }
            let answer = try RunnerMessage(frame: frame)
            switch answer {
            case .result(let result): return result
            case .failed(let message): throw CoordinatorError.runnerFailed(message)
            case .unavailable(let message): throw CoordinatorError.storageUnavailable(message)
            default: throw CoordinatorError.unexpectedAnswer(kind: answer.kind.rawValue)
            }
        }
    }

    /// Asks a runner (an action runner if there is one: it has the least else to do) what a bundle defines.
    func analyze(_ hash: String, environment: String) async throws -> String {
        let runner = try await reserve(runners.values.contains { $0.pool == .action } ? .action : .db)
        defer { release(runner.id) }
        let question = RunnerMessage.analyze(deployment: hash, environment: environment)
        switch try RunnerMessage(frame: try await runner.peer.ask { question.frame(requestID: $0) }) {
        case .analysis(let json): return json
        case .failed(let message): throw CoordinatorError.runnerFailed(message)
        case let other: throw CoordinatorError.unexpectedAnswer(kind: other.kind.rawValue)
        }
    }

    private func reserve(_ pool: RunnerPool) async throws -> Runner {
        while true {
            let candidates = runners.values.filter { $0.pool == pool && $0.inFlight < $0.capacity }
            // The least loaded; among equals, the one given fewest calls so far, so that short calls,
            // which leave every runner idle between them, still spread.
            if let best = candidates.min(by: { (Double($0.inFlight) / Double($0.capacity), $0.calls) < (Double($1.inFlight) / Double($1.capacity), $1.calls) }) {
                runners[best.id]?.inFlight += 1
                runners[best.id]?.calls += 1
                return best
            }
            if !runners.values.contains(where: { $0.pool == pool }) {
                try await waitForRunner(of: pool)
                continue
            }
            guard waiting[pool, default: []].count < maxQueued else { throw CoordinatorError.overloaded }
            await withCheckedContinuation { waiting[pool, default: []].append($0) }
        }
    }

    private func waitForRunner(of pool: RunnerPool) async throws {
        let deadline = ContinuousClock.now + waitForRunners
        while !runners.values.contains(where: { $0.pool == pool }) {
            guard ContinuousClock.now < deadline else { throw CoordinatorError.noRunners(pool) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One slot opened: the longest-waiting call of the pool takes it (if a new call takes it first,
    /// that one waits again, and is woken by the next release). Waking every waiter for one slot made
    /// a queue of n calls cost n² wake-ups.
    private func release(_ id: UInt64) {
        guard runners[id] != nil else { return }
        runners[id]!.inFlight -= 1
        let pool = runners[id]!.pool
        // Taken in place: a copy of the queue out of the dictionary would copy all of it per release.
        guard let next = waiting[pool]?.popFirst() else { return }
        if waiting[pool]?.isEmpty == true { waiting[pool] = nil }
        next.resume()
    }

    /// Lets every waiting call of the pool look again: a runner came (room for many) or went (maybe the last).
    private func wake(_ pool: RunnerPool) {
        guard let queue = waiting.removeValue(forKey: pool) else { return }
        for continuation in queue { continuation.resume() }
    }
}
