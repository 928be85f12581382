/// What a transaction read, as key intervals per index. Point reads and misses are intervals too.
public struct ReadSet: Hashable, Sendable {
    public var intervals: [IndexID: [KeyInterval]]

    public init(_ intervals: [IndexID: [KeyInterval]] = [:]) {
        self.intervals = intervals
    }

    public mutating func add(_ interval: KeyInterval, index: IndexID) {
        intervals[index, default: []].append(interval)
    }

    /// Intervals over all indexes: what the read-interval limits count.
    public var count: Int { intervals.values.reduce(0) { $0 + $1.count } }
}
