import Foundation
@testable import FunctionRunner
import Protocol
import XCTest

/// How a runner shares calls among its isolates, and what an isolate it drops leaves behind.
final class DeploymentsTests: XCTestCase {
    func testACallGoesToTheIsolateWithTheFewestCallsInFlight() async throws {
        let bundle = "globalThis.loaded = true;"
        let deployments = Deployments(workers: 2, limits: ExecutionLimits(), source: .init(
            bundle: { _ in bundle }, environment: { _ in EnvironmentVariables().json }))
        let bundleHash = ContentHash.of(bundle), environmentHash = EnvironmentVariables.none
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (holding, held) = AsyncStream.makeStream(of: FunctionIsolate.self)
        // A long call holds one isolate...
        let long = Task {
            try await deployments.withIsolate(for: bundleHash, environment: environmentHash) { isolate in
                held.yield(isolate)
                for await _ in release { break }
            }
        }
        var iterator = holding.makeAsyncIterator()
        let busyIsolate = await iterator.next()!
        let busy = ObjectIdentifier(busyIsolate)
        // ...while a short one comes and goes: taking the workers in turn would now hand the busy one
        // the next call, beside an idle one.
        let short = try await deployments.withIsolate(for: bundleHash, environment: environmentHash) { ObjectIdentifier($0) }
        XCTAssertNotEqual(short, busy, "the short call goes to the idle isolate")
        let next = try await deployments.withIsolate(for: bundleHash, environment: environmentHash) { isolate in
            (ObjectIdentifier(isolate), isolate.callsInFlight.load(ordering: .relaxed))
        }
        XCTAssertNotEqual(next.0, busy, "the next call goes to the isolate with no call in flight")
        XCTAssertEqual(next.1, 1, "a call counts on its isolate while it runs")
        XCTAssertEqual(busyIsolate.callsInFlight.load(ordering: .relaxed), 1)
        releaser.yield()
        try await long.value
        XCTAssertEqual(busyIsolate.callsInFlight.load(ordering: .relaxed), 0, "a finished call no longer counts")
    }

    /// An isolate that is dropped (a runner evicting a deployment) releases its thread, and with it its
    /// context group, compiled script and pooled contexts: evicted deployments leak nothing.
    func testDroppedIsolatesReleaseTheirThreads() async throws {
        func threadCount() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        let before = threadCount()
        for i in 0..<8 {
            let isolate = FunctionIsolate(bundle: "globalThis.x = 1;", name: "review-leak-\(i)")
            // Wait until its thread runs jobs: an isolate dropped before its thread starts crashes the
            // process instead ("Attempted to read an unowned reference but object … was already destroyed").
            _ = await isolate.pooledContexts
        }
        try await Task.sleep(for: .milliseconds(300))
        let after = threadCount()
        XCTAssertLessThanOrEqual(after, before + 1, "\(after - before) threads outlived their isolates")
    }
}
