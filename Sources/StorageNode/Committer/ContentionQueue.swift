import Protocol

/// The line of transactions that lost a conflict, oldest first.
///
/// Optimistic concurrency alone lets a hot document starve a transaction: each time it runs again, a
/// fresh one may commit there first, and after a few retries it gives up. So a transaction that
/// conflicted claims the key intervals it read, under its `CommitPriority`; until it commits (or its
/// claim lapses), a commit of any transaction that began later may not write into them. That commit
/// is answered as a conflict once the claim is gone, and joins the line. The oldest claimant meets no
/// new writer on what it read, and commits on its next run.
///
/// Claims lapse after a lease, so a transaction that stops retrying (its function now throws, its
/// runner died) holds no one up for longer than that.
struct ContentionQueue {
    struct Claim {
        var priority: CommitPriority
        var reads: KeyIntervalSet
        var expires: Timestamp
    }

    private(set) var claims: [UInt64: Claim] = [:]

    var isEmpty: Bool { claims.isEmpty }

    /// Claims `reads` for `priority`'s transaction until `expires`, replacing what it claimed before.
    mutating func claim(_ priority: CommitPriority, reads: KeyIntervalSet, until expires: Timestamp) {
        claims[priority.token] = Claim(priority: priority, reads: reads, expires: expires)
    }

    mutating func release(_ token: UInt64) {
        claims[token] = nil
    }

    /// The oldest live claim ahead of `priority` (of anyone's, for a transaction with none) that
    /// contains one of `keys`; nil if the commit may go ahead.
    func blocker(of priority: CommitPriority?, writing keys: [WriteLog.WrittenKey], now: Timestamp) -> Claim? {
        guard !claims.isEmpty else { return nil }
        var oldest: Claim?
        for claim in claims.values where claim.expires > now {
            if let priority, !(claim.priority < priority) { continue }
            if let found = oldest, found.priority < claim.priority { continue }
            if keys.contains(where: { claim.reads.contains(index: $0.index, key: $0.key) }) { oldest = claim }
        }
        return oldest
    }

    /// Drops the claims whose lease is over; returns their tokens.
    mutating func expire(now: Timestamp) -> [UInt64] {
        let lapsed = claims.filter { $0.value.expires <= now }.map(\.key)
        for token in lapsed { claims[token] = nil }
        return lapsed
    }
}
