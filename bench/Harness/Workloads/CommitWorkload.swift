/// `commit`: single-document insert mutations from 1, 4, 16 and 64 clients over the sync protocol,
/// each timed until the Transition that follows its response, as the official clients wait.
struct CommitWorkload {
    var clientCounts = [1, 4, 16, 64]
    var seconds: Double
    var warmup: Double

    func run(_ deployment: Deployment) async -> WorkloadResult {
        var result = WorkloadResult(name: "commit", description: "bench:insert (one document) per mutation, closed loop over the sync WebSocket")
        for clients in clientCounts {
            let run = await ClosedLoop.runMutations("\(clients) clients", url: deployment.url, clients: clients, seconds: seconds, warmup: warmup) { client, call in
                SyncMessage.mutation(requestId: call, path: "bench:insert", args: #"{"client":\#(client),"seq":\#(call)}"#)
            }
            result.runs.append(run)
        }
        return result
    }
}
