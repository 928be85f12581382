import Protocol

/// The index keys written by recent commits, oldest first, kept in memory to validate transactions
/// and to catch commits that raced a subscription's registration.
///
/// It is bounded by age and by total key bytes. `startTs` is the boundary: every commit after it is
/// here, so a transaction that began before it cannot be validated and must retry.
struct WriteLog {
    struct WrittenKey {
        var index: IndexID
        var key: [UInt8]
        var table: UInt32
    }

    struct Entry {
        var ts: Timestamp
        var keys: [WrittenKey]
        var byteSize: Int
    }

    private var entries: [Entry] = []
    private var head = 0
    private var totalBytes = 0
    private(set) var startTs: Timestamp
    let maxAgeNanos: UInt64
    let maxBytes: Int

    init(startTs: Timestamp, maxAgeNanos: UInt64, maxBytes: Int) {
        self.startTs = startTs
        self.maxAgeNanos = maxAgeNanos
        self.maxBytes = maxBytes
    }

    var count: Int { entries.count - head }

    mutating func append(ts: Timestamp, keys: [WrittenKey]) {
        let size = keys.reduce(0) { $0 + $1.key.count + 24 }
        entries.append(Entry(ts: ts, keys: keys, byteSize: size))
        totalBytes += size
    }

    /// The table of the first key written after `ts` that lies in `readSet`, and the timestamp of the
    /// last commit that wrote into it; nil if none did.
    func firstConflict(after ts: Timestamp, readSet: KeyIntervalSet) -> (table: UInt32, lastTs: Timestamp)? {
        var found: (table: UInt32, lastTs: Timestamp)?
        for entry in entries(after: ts) {
            for written in entry.keys where readSet.contains(index: written.index, key: written.key) {
                found = (found?.table ?? written.table, entry.ts)
                break
            }
        }
        return found
    }

    /// Entries with timestamps above `ts`, oldest first.
    func entries(after ts: Timestamp) -> ArraySlice<Entry> {
        // Entries are in timestamp order: binary search for the first one above `ts`.
        var low = head, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].ts <= ts { low = mid + 1 } else { high = mid }
        }
        return entries[low...]
    }

    /// Drops entries older than the age limit, or the oldest while over the byte limit, never one at or
    /// above `keepFrom` (commits not yet published must stay for validation).
    mutating func evict(now: Timestamp, keepFrom: Timestamp) {
        while head < entries.count {
            let entry = entries[head]
            let tooOld = entry.ts + maxAgeNanos < now
            guard (tooOld || totalBytes > maxBytes) && entry.ts < keepFrom else { break }
            startTs = entry.ts
            totalBytes -= entry.byteSize
            head += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
