import Protocol
@testable import StorageNode
import XCTest

final class IntervalTreeTests: XCTestCase {
    /// Against a brute-force scan: random intervals inserted and removed, random stabbing queries.
    func testStabbingQueriesMatchBruteForce() {
        var rng = SystemRandomNumberGenerator()
        func randomKey() -> [UInt8] { (0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt8.random(in: 0...4, using: &rng) } }
        var tree = IntervalTree<Int>()
        var live: [Int: KeyInterval] = [:]
        for step in 0..<3000 {
            if Int.random(in: 0..<3, using: &rng) == 0, let victim = live.keys.randomElement(using: &rng) {
                tree.remove(live[victim]!, payload: victim)
                live[victim] = nil
            } else {
                let a = randomKey(), b = randomKey()
                let (lo, hi) = a.lexicographicallyPrecedes(b) ? (a, b) : (b, a)
                let interval = KeyInterval(start: lo, end: Bool.random(using: &rng) ? hi : nil)
                tree.insert(interval, payload: step)
                live[step] = interval
            }
            let probe = randomKey()
            var found = Set<Int>()
            tree.forEachContaining(probe) { found.insert($0) }
            let expected = Set(live.filter { $0.value.contains(probe) }.keys)
            XCTAssertEqual(found, expected, "probe \(probe) at step \(step)")
            if found != expected { return }
        }
        XCTAssertEqual(tree.count, live.count)
    }
}
