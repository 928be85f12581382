import BenchSupport
import Foundation

/// `sessions`: the shape of a React tab. Sockets that each hold live queries of their own (one
/// document each) and send mutations, each setting the document of one of its own queries. A
/// mutation must re-run only the query it touched, not every query of its socket, and cost little
/// more than the same mutations from sockets that hold no queries.
struct SessionsWorkload {
    var sockets = 200
    var queriesPerSocket = 20
    var seconds: Double
    var warmup: Double
    /// Keys of documents no other workload subscribes to.
    private static let firstKey = 1_000_000

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "sessions", description: "\(sockets) sockets × \(queriesPerSocket) live queries of bench:doc of their own; "
            + "each sets the document of one of its queries")
        try await DocQueries.seed(deployment, first: Self.firstKey, count: sockets * queriesPerSocket)
        let perSocket = queriesPerSocket
        let setDoc: @Sendable (Int, Int) -> String = { client, call in
            SyncMessage.mutation(requestId: call, path: "bench:setDoc", args: #"{"key":\#(Self.firstKey + client * perSocket + call % perSocket),"value":"\#(call)"}"#)
        }

        result.runs.append(await ClosedLoop.runMutations("\(sockets) sockets, no live queries", url: deployment.url, clients: sockets,
                                                         seconds: seconds, warmup: warmup, mutation: setDoc))

        let connections = await ClosedLoop.open(sockets, url: deployment.url)
        defer { for connection in connections { connection.close() } }
        let subscribed = await DocQueries.subscribe(connections) { client in (0..<perSocket).map { Self.firstKey + client * perSocket + $0 } }
        guard subscribed else { throw BenchFailure("a socket closed before its queries' first results") }
        let mutations = { try await deployment.metric("converge_function_calls_total", labels: #"function="bench:setDoc""#) }
        let executions = { try await deployment.metric("converge_query_cache_executions_total") }
        let failedQueries = { try await deployment.metric("converge_function_calls_total", labels: #"function="bench:doc",kind="query",outcome="failed""#) }
        let (mutationsBefore, executionsBefore, failedBefore) = (try await mutations(), try await executions(), try await failedQueries())
        var withQueries = await ClosedLoop.runMutations("\(sockets) sockets × \(queriesPerSocket) live queries", on: connections,
                                                        seconds: seconds, warmup: warmup, mutation: setDoc)
        let ran = try await executions() - executionsBefore, mutated = try await mutations() - mutationsBefore
        withQueries.figures.append(Figure(name: "query executions per mutation", value: mutated > 0 ? ran / mutated : 0, unit: ""))
        let failed = try await failedQueries() - failedBefore
        say(String(format: "  … %.0f mutations re-ran %.0f queries (%.0f of them failed); each touched one", mutated, ran, failed))
        result.runs.append(withQueries)
        return result
    }
}
