import Protocol

/// Which subscription (of which connection) read which key intervals, indexed per index so that a
/// commit's written keys find the subscriptions they invalidate without scanning them all.
/// A subscription fires once and is then forgotten; the subscriber re-reads and subscribes again.
struct SubscriptionRegistry {
    struct Key: Hashable, Comparable {
        var connection: UInt64
        var id: UInt64

        static func < (a: Key, b: Key) -> Bool { (a.connection, a.id) < (b.connection, b.id) }
    }

    private var trees: [IndexID: IntervalTree<Key>] = [:]
    private var intervals: [Key: [(IndexID, KeyInterval)]] = [:]
    private var countByConnection: [UInt64: Int] = [:]

    var count: Int { intervals.count }

    /// The connections that hold at least one subscription.
    var connections: Dictionary<UInt64, Int>.Keys { countByConnection.keys }

    mutating func register(_ key: Key, readSet: ReadSet) {
        remove(key)
        var registered: [(IndexID, KeyInterval)] = []
        for (index, list) in readSet.intervals {
            for interval in Set(list) where !interval.isEmpty {
                trees[index, default: IntervalTree()].insert(interval, payload: key)
                registered.append((index, interval))
            }
        }
        intervals[key] = registered
        countByConnection[key.connection, default: 0] += 1
    }

    mutating func remove(_ key: Key) {
        guard let registered = intervals.removeValue(forKey: key) else { return }
        countByConnection[key.connection]! -= 1
        if countByConnection[key.connection] == 0 { countByConnection[key.connection] = nil }
        for (index, interval) in registered {
            trees[index]?.remove(interval, payload: key)
            if trees[index]?.count == 0 { trees[index] = nil }
        }
    }

    mutating func removeAll(connection: UInt64) {
        for key in intervals.keys where key.connection == connection { remove(key) }
    }

    /// Every subscription that read `index` (which was dropped); they are removed.
    mutating func fireAll(on index: IndexID) -> Set<Key> {
        var hit = Set<Key>()
        trees[index]?.forEach { hit.insert($0) }
        for key in hit { remove(key) }
        return hit
    }

    /// The subscriptions whose read sets contain any of `keys`; they are removed.
    mutating func fire(for keys: [WriteLog.WrittenKey]) -> Set<Key> {
        var hit = Set<Key>()
        for written in keys {
            trees[written.index]?.forEachContaining(written.key) { hit.insert($0) }
        }
        for key in hit { remove(key) }
        return hit
    }
}
