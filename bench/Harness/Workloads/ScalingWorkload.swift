import Foundation

/// `scaling`: CPU-bound queries (bench:spin, about 2 ms of JavaScript, arguments nobody else used so
/// nothing is shared) against a cluster with 1 and then 2 db runner processes of one worker each.
/// It starts those clusters itself, so it runs only when the harness starts its own.
struct ScalingWorkload {
    var clients = 8
    var seconds: Double

    func run(startCluster: (_ runners: Int) throws -> LocalCluster) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "scaling", description: "bench:spin (~2 ms of JavaScript, distinct arguments), \(clients) clients, db runner processes of 1 worker each")
        for runners in [1, 2] {
            let cluster = try startCluster(runners)
            defer { cluster.stop() }
            let run = await ClosedLoop.run("\(runners) db runner\(runners == 1 ? "" : "s")", url: cluster.url, clients: clients, seconds: seconds) { client, call, connection, inbox in
                // Add a query nobody else has, wait for its result, remove it.
                connection.send(SyncMessage.addQueries(version: 1 + 2 * call, [(call, "bench:spin", #"{"n":\#(client * 1_000_000 + call)}"#)]))
                let answer = await inbox.next(ofType: "Transition")
                // Removed whatever the answer, so the next step's query set version is the one the server has.
                connection.send(SyncMessage.removeQuery(version: 2 + 2 * call, id: call))
                guard await inbox.next(ofType: "Transition") != nil, let answer else { throw BenchFailure("the socket closed") }
                guard !answer.contains("QueryFailed") else { throw BenchFailure("the query failed: \(answer.prefix(300))") }
            }
            result.runs.append(run)
        }
        if result.runs.count == 2, result.runs[0].perSecond > 0 {
            result.figures.append(Figure(name: "queries/s, 2 runners / 1 runner", value: result.runs[1].perSecond / result.runs[0].perSecond, unit: "×"))
        }
        return result
    }
}
