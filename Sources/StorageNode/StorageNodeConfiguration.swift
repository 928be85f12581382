/// Tunables of a storage node. The defaults follow Convex's.
public struct StorageNodeConfiguration: Sendable {
    /// How long old document versions stay readable (default 2 days).
    public var retentionWindowNanos: UInt64 = 2 * 24 * 3600 * 1_000_000_000
    /// How often the retention task runs.
    public var retentionIntervalSeconds: Double = 60
    /// Versions looked at per retention transaction, so commits are never held up for long.
    public var retentionChunk = 5_000
    /// The write log keeps commits at least this long, so transactions up to this old can commit.
    public var writeLogMaxAgeNanos: UInt64 = 120 * 1_000_000_000
    /// Past this many bytes of written keys the write log drops its oldest commits, however young.
    public var writeLogMaxBytes = 256 << 20
    /// How long a commit's idempotency receipt is kept, so a retried mutation finds it (retries come
    /// within seconds; retention removes older receipts).
    public var receiptRetentionNanos: UInt64 = 10 * 60 * 1_000_000_000
    /// Receipts deleted per retention transaction. A burst of mutations leaves receipts that expire
    /// together; deleted in one statement (160,000 after `converge bench commit`), they held the
    /// writer, and every commit waiting for it, for over 100 ms.
    public var receiptRetentionChunk = 1_000
    public var limits = RequestLimits()
    /// Called once if a durable write fails. The node then refuses all commits, since its memory is
    /// ahead of its disk; a process should exit and be restarted, which recovers from persistence.
    public var onPersistenceFailure: (@Sendable (Error) -> Void)?

    public init() {}
}

/// Limits on what one request may ask of the node (docs/limits.md for the per-transaction ones).
public struct RequestLimits: Sendable {
    /// Document writes in one commit.
    public var maxWrites = 16_000
    /// Bytes of written documents in one commit, by `Value.size`.
    public var maxWriteBytes = 16 << 20
    /// Key intervals in one commit's or subscription's read set.
    public var maxReadIntervals = 4_096
    /// Largest `ScanRequest.limit`.
    public var maxScanLimit = 32_000
    /// Most IDs in one `get`.
    public var maxGetBatch = 32_000
    /// Documents one `get` or `scan` answer may carry; a scan stops early and returns a cursor.
    public var maxResponseBytes = 16 << 20

    public init() {}
}
