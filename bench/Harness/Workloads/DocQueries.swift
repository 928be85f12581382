import BenchSupport
import Foundation

/// The documents of `bench:doc` that `disjoint` and `sessions` subscribe to, one query per document.
enum DocQueries {
    /// Sockets that add their queries at once; more would queue the initial runs past the
    /// coordinator's bound.
    private static let socketsPerWave = 20

    /// Inserts the documents of keys `first..<first + count` that do not exist yet, 500 per mutation.
    static func seed(_ deployment: Deployment, first: Int, count: Int) async throws {
        let seeding = ProgressLine("seeding \(count) documents", seconds: nil)
        defer { seeding.finish() }
        for offset in stride(from: 0, to: count, by: 500) {
            let batch = min(500, count - offset)
            _ = try await deployment.call("mutation", "bench:seedDocs", args: #"{"first":\#(first + offset),"count":\#(batch)}"#)
            seeding.done(batch)
        }
    }

    /// Has each socket (whose query set is at version 1, as `ClosedLoop.open` leaves it) subscribe to
    /// `bench:doc` of the keys `keys(index)` gives it, with the keys as query IDs, a wave of sockets at
    /// a time, and waits for the first results. False if a socket closed before all of its came.
    static func subscribe(_ connections: [SyncConnection], keys: @escaping @Sendable (Int) -> [Int]) async -> Bool {
        let subscribing = ProgressLine("subscribing \(connections.count) sockets", seconds: nil)
        defer { subscribing.finish() }
        var allAnswered = true
        for waveStart in stride(from: 0, to: connections.count, by: socketsPerWave) {
            let answered = await withTaskGroup(of: Bool.self) { group in
                for index in waveStart..<min(connections.count, waveStart + socketsPerWave) {
                    let connection = connections[index], keys = keys(index)
                    group.addTask {
                        var inbox = SyncInbox(connection)
                        connection.send(SyncMessage.addQueries(version: 1, keys.map { ($0, "bench:doc", #"{"key":\#($0)}"#) }))
                        var results = 0
                        while results < keys.count, let message = await inbox.next(ofType: "Transition") {
                            results += message.ranges(of: #""type":"QueryUpdated""#).count
                        }
                        subscribing.done(keys.count)
                        return results >= keys.count
                    }
                }
                return await group.reduce(true) { $0 && $1 }
            }
            allAnswered = allAnswered && answered
        }
        return allAnswered
    }
}
