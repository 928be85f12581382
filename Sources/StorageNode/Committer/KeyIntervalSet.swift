import Protocol

/// A read set compiled for fast membership tests: per index, the union of its intervals as sorted,
/// disjoint ranges, so "does this written key touch the read set" is one binary search.
struct KeyIntervalSet {
    private let ranges: [IndexID: [KeyInterval]]

    init(_ readSet: ReadSet) {
        ranges = readSet.intervals.mapValues(Self.union)
    }

    func contains(index: IndexID, key: [UInt8]) -> Bool {
        guard let list = ranges[index], !list.isEmpty else { return false }
        // The last range starting at or before the key is the only one that can hold it.
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if key.lexicographicallyPrecedes(list[mid].start) { high = mid } else { low = mid + 1 }
        }
        return low > 0 && list[low - 1].contains(key)
    }

    private static func union(_ intervals: [KeyInterval]) -> [KeyInterval] {
        let sorted = intervals.filter { !$0.isEmpty }.sorted { $0.start.lexicographicallyPrecedes($1.start) }
        var merged: [KeyInterval] = []
        for interval in sorted {
            if var last = merged.last, last.end.map({ !$0.lexicographicallyPrecedes(interval.start) }) ?? true {
                last.end = Self.maxEnd(last.end, interval.end)
                merged[merged.count - 1] = last
            } else {
                merged.append(interval)
            }
        }
        return merged
    }

    private static func maxEnd(_ a: [UInt8]?, _ b: [UInt8]?) -> [UInt8]? {
        guard let a, let b else { return nil }
        return a.lexicographicallyPrecedes(b) ? b : a
    }
}
