@testable import FunctionRunner
import Protocol
import XCTest

/// How a runner shares calls among its isolates.
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
}
