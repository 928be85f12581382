import Protocol
import Synchronization
import XCTest

/// Runs by key: callers of a key whose run is in flight share it; later callers start a new one.
final class SingleFlightTests: XCTestCase {
    func testCallersOfAKeyInFlightShareOneRun() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        let gate = Gate()
        let first = Task { try await flights.run("k") { @Sendable in runs.add(); await gate.wait(); return 1 } }
        while flights.count < 1 { await Task.yield() }
        let second = Task { try await flights.run("k") { @Sendable in runs.add(); return 2 } }
        let other = try await flights.run("other") { 3 }
        XCTAssertEqual(other, 3, "another key runs at once, beside the run in flight")
        // The first run waits at the gate until then, so the second caller has long joined it.
        try await Task.sleep(for: .milliseconds(300))
        await gate.open()
        let answers = try await [first.value, second.value]
        XCTAssertEqual(answers, [1, 1])
        XCTAssertEqual(runs.value, 1)
        XCTAssertEqual(flights.count, 0)
        let again = try await flights.run("k") { 42 }
        XCTAssertEqual(again, 42, "a finished run is not answered again")
    }

    func testAnErrorReachesEveryCallerOfTheRun() async {
        struct Failure: Error {}
        let flights = SingleFlight<Int, Int>()
        do {
            _ = try await flights.run(7) { throw Failure() }
            XCTFail("no error")
        } catch {
            XCTAssertTrue(error is Failure)
        }
    }
}

private final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

private actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
