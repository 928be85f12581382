/// One transaction's commit: where it read, what it read and what it writes.
public struct CommitRequest: Hashable, Sendable {
    /// Where the transaction read; nil if it never read, which only inserts of new IDs may do.
    public var beginTs: Timestamp?
    /// Checked against commits after `beginTs`; the node counts every written ID as read too.
    public var readSet: ReadSet
    /// At most one per document: the node refuses a document written twice.
    public var writes: [DocumentWrite]
    /// Makes the commit happen at most once per key; see `CommitReceipt`.
    public var receipt: CommitReceipt?
    /// Who is asking, for the node's queue of conflicting transactions; see `CommitPriority`.
    public var priority: CommitPriority?

    public init(beginTs: Timestamp?, readSet: ReadSet, writes: [DocumentWrite], receipt: CommitReceipt? = nil, priority: CommitPriority? = nil) {
        self.beginTs = beginTs
        self.readSet = readSet
        self.writes = writes
        self.receipt = receipt
        self.priority = priority
    }
}

/// The same for every attempt of one transaction: when it first began, and a random token naming it.
/// A transaction that conflicted claims what it read at the storage node; until it commits, commits
/// of transactions that began later (fresh ones too) may not write there, so the oldest goes first.
public struct CommitPriority: Hashable, Sendable, Comparable {
    public var since: Timestamp
    public var token: UInt64

    public init(since: Timestamp, token: UInt64) {
        self.since = since
        self.token = token
    }

    /// The older transaction goes first; the token settles a tie.
    public static func < (a: CommitPriority, b: CommitPriority) -> Bool {
        (a.since, a.token) < (b.since, b.token)
    }
}

/// Kept by the storage node with a commit: its key and what the caller should get back if the same
/// key commits again (opaque to the node; a runner stores the mutation's return value there).
public struct CommitReceipt: Hashable, Sendable {
    public var key: IdempotencyKey
    public var outcome: [UInt8]
    /// An earlier attempt under this key may have committed, even before the node last restarted: it
    /// looks on disk too, not only among its recent commits.
    public var isRetry: Bool

    public init(key: IdempotencyKey, outcome: [UInt8], isRetry: Bool = false) {
        self.key = key
        self.outcome = outcome
        self.isRetry = isRetry
    }
}

/// How a commit ended; `committed` carries the new commit's timestamp.
public enum CommitResult: Hashable, Sendable {
    case committed(Timestamp)
    /// A write committed after the transaction's begin timestamp touched its read set; retry from a new snapshot.
    case conflict(table: String)
    /// A commit with the same idempotency key happened already, at `ts`; nothing was written now.
    case alreadyCommitted(ts: Timestamp, outcome: [UInt8])
}
