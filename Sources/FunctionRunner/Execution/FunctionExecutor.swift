import FaultInjection
import Foundation
import Protocol
import StorageClient

/// Runs queries and mutations of one deployment as transactions against the storage node: a query
/// at a snapshot, returning what it read; a mutation committed, and re-run on a conflict.
public final class FunctionExecutor: Sendable {
    public let isolate: FunctionIsolate
    public let storage: StorageClient
    public let retryPolicy: RetryPolicy
    public let limits: TransactionLimits
    /// Seals the page cursors and journals of `paginate()`; every runner of a deployment has the same.
    public let seal: CursorSeal

    public init(isolate: FunctionIsolate, storage: StorageClient, seal: CursorSeal, retryPolicy: RetryPolicy = .init(), limits: TransactionLimits = .init()) {
        self.isolate = isolate
        self.storage = storage
        self.seal = seal
        self.retryPolicy = retryPolicy
        self.limits = limits
    }

    /// A query's outcome with the snapshot it read and what it read there (for subscriptions).
    public struct QueryResult: Sendable {
        public var outcome: FunctionOutcome
        public var ts: Timestamp
        public var readSet: ReadSet
        /// Where its page ended, if it paginated: the next run of the same subscription reads to there.
        public var journal: String?
    }

    /// A mutation's outcome and, if it committed, its commit timestamp.
    public struct MutationResult: Sendable {
        public var outcome: FunctionOutcome
        /// Only for a success: a failure's kept outcome has a timestamp too, but the caller is sent none.
        public var commitTs: Timestamp?
        public var conflictRetries = 0

        init(outcome: FunctionOutcome, commitTs: Timestamp?, conflictRetries: Int = 0) {
            self.outcome = outcome
            self.commitTs = commitTs
            self.conflictRetries = conflictRetries
        }

        /// The outcome an earlier attempt committed under the same key.
        init(receipt: [UInt8], committedAt ts: Timestamp) throws {
            outcome = try FunctionOutcome(receiptBytes: receipt)
            if case .success = outcome.result { commitTs = ts }
        }
    }

    public func runQuery(_ request: FunctionRequest, at ts: Timestamp? = nil) async throws -> QueryResult {
        var request = request
        request.kind = .query
        // One small round trip for the latest timestamp and whether the catalog changed; the catalog
        // itself comes over only when it did (it used to, whole, with every query).
        let snapshot = try await storage.snapshot()
        let begin = ts ?? snapshot.ts
        let transaction = StorageTransaction(client: storage, beginTs: begin, catalog: snapshot.catalog, limits: limits)
        let host = TransactionHost(transaction: transaction, writable: false, seal: seal, journal: request.journal)
        request.nowMillis = Double(begin) / 1e6
        let outcome = await isolate.run(request, host: host)
        return QueryResult(outcome: outcome, ts: begin, readSet: host.transaction.readSet, journal: host.journal)
    }

    /// Runs a mutation until it commits, fails or runs out of retries. With an idempotency key it
    /// commits at most once under that key: a repeat returns the first commit's value and log lines.
    /// `isRetry` says an earlier attempt may have committed: then that is looked up before running,
    /// since running again on a snapshot that has the first attempt's writes can fail where it succeeded.
    /// With `recordsFailure`, a function that throws commits its error under the key, so a repeat
    /// answers that error instead of running again.
    public func runMutation(_ request: FunctionRequest, idempotencyKey: IdempotencyKey? = nil, isRetry: Bool = false,
                            recordsFailure: Bool = false) async throws -> MutationResult {
        if isRetry, let idempotencyKey, let earlier = try await storage.receipt(idempotencyKey) {
            return try MutationResult(receipt: earlier.outcome, committedAt: earlier.ts)
        }
        var request = request
        request.kind = .mutation
        var conflicts = 0
        var restarts = 0
        // Every attempt commits under the same priority: the storage node lets the oldest of the
        // transactions that conflicted on the same keys go first, and answers a conflict only once
        // running again can succeed, so the retry follows at once.
        let priority = CommitPriority(since: Timestamp(Date().timeIntervalSince1970 * 1e9), token: UInt64.random(in: 1...UInt64.max))
        while true {
            // Begun at its first read: an insert-only mutation commits with one round trip, not two. A
            // restart (the catalog changed) begins at once, which fetches the new catalog.
            let now = Timestamp(Date().timeIntervalSince1970 * 1e9)
            let transaction = restarts == 0
                ? try await StorageTransaction.beginAtFirstRead(storage, now: now, limits: limits)
                : try await StorageTransaction.begin(storage, limits: limits)
            let host = TransactionHost(transaction: transaction, writable: true, seal: seal)
            request.nowMillis = Double(transaction.beginTs ?? now) / 1e6
            let outcome = await isolate.run(request, host: host)
            if host.restartRequested {
                // The function created a table, or began on a stale catalog: run it again on a new snapshot.
                restarts += 1
                guard restarts <= retryPolicy.maxRestarts else { throw HostError("the mutation kept restarting") }
                continue
            }
            let succeeded: Bool
            if case .success = outcome.result { succeeded = true } else { succeeded = false }
            // A failed mutation writes nothing; with `recordsFailure` its outcome is still kept under its key.
            guard succeeded || (recordsFailure && idempotencyKey != nil) else { return MutationResult(outcome: outcome, commitTs: nil) }
            let receipt = idempotencyKey.map { CommitReceipt(key: $0, outcome: outcome.receiptBytes(), isRetry: isRetry) }
            do {
                let committed = if succeeded {
                    try await host.transaction.commit(receipt: receipt, priority: priority)
                } else {
                    // The guard lets a failure through only with a key.
                    try await host.transaction.commitOutcomeOnly(receipt: receipt!, priority: priority)
                }
                switch committed {
                case .committed(let ts):
                    FaultPoint.runnerAfterCommit.reached()
                    return MutationResult(outcome: outcome, commitTs: succeeded ? ts : nil, conflictRetries: conflicts)
                case let .alreadyCommitted(ts, earlier):
                    var result = try MutationResult(receipt: earlier, committedAt: ts)
                    result.conflictRetries = conflicts
                    return result
                case .conflict(let table):
                    conflicts += 1
                    guard conflicts <= retryPolicy.maxRetries else {
                        return MutationResult(outcome: FunctionOutcome(result: .failure(FunctionError(message: Self.conflictMessage(table))), logLines: outcome.logLines),
                                              commitTs: nil, conflictRetries: conflicts - 1)
                    }
                }
            } catch let error as StorageError where error.code == .timestampTooOld {
                // The snapshot fell out of the write log before the commit arrived: begin again.
                restarts += 1
                guard restarts <= retryPolicy.maxRestarts else { throw error }
            }
        }
    }

    static func conflictMessage(_ table: String) -> String {
        "Documents read from or written to the \"\(table)\" table changed while this mutation was being run and on every subsequent retry."
    }
}

/// How often a conflicting mutation is run again (as Convex: 4 times). There is no pause between runs:
/// the storage node answers a conflict once the commit it lost to is readable, or once an older
/// transaction it had to wait for has committed (see `CommitPriority`).
public struct RetryPolicy: Sendable {
    public var maxRetries = 4
    /// Re-runs that are not conflicts: after creating a table, or when the snapshot got too old.
    public var maxRestarts = 8

    public init() {}
}
