/// `contention`: read-modify-write increments of a few hot counters from many clients. Conflicting
/// commits are retried by the runner (up to 4 times, as Convex), the oldest first (the storage
/// node's `ContentionQueue`); the workload
/// reports how many calls succeeded, how many retries that took, how many ran out of retries, and
/// checks that the counters add up to exactly the successful increments.
struct ContentionWorkload {
    var clients = 16
    var slots = 4
    var seconds: Double

    func run(_ deployment: Deployment) async throws -> WorkloadResult {
        var result = WorkloadResult(name: "contention", description: "bench:increment of one of \(slots) counters, \(clients) clients, closed loop")
        _ = try await deployment.call("mutation", "bench:seedCounters", args: #"{"slots":\#(slots)}"#)
        let retriesBefore = try await deployment.metric("converge_mutation_conflict_retries_total")
        let slots = slots
        var run = await ClosedLoop.run("\(clients) clients, \(slots) counters", url: deployment.url, clients: clients, seconds: seconds) { _, call, connection, inbox in
            connection.send(SyncMessage.mutation(requestId: call, path: "bench:increment", args: #"{"slot":\#(Int.random(in: 0..<slots))}"#))
            try await inbox.mutationSucceeded()
        }
        let retries = try await deployment.metric("converge_mutation_conflict_retries_total") - retriesBefore
        let total = try await deployment.call("query", "bench:counterTotal")
        let attempts = run.operations + run.errors
        run.figures = [
            Figure(name: "success rate", value: attempts > 0 ? 100 * Double(run.operations) / Double(attempts) : 0, unit: "%"),
            Figure(name: "conflict retries", value: retries, unit: "retries"),
            Figure(name: "retries per call", value: attempts > 0 ? retries / Double(attempts) : 0, unit: ""),
            Figure(name: "failed after retries", value: Double(run.errors), unit: "calls"),
        ]
        if total.number != Double(run.operations) {
            result.problems.append("the counters add up to \(total), but \(run.operations) increments succeeded")
        }
        result.runs.append(run)
        return result
    }
}
