import Prometheus
import Protocol
import Synchronization

/// What `GET /metrics` reports, in Prometheus' text format: calls and their latencies per function,
/// runner pool sizes, sync sessions and their live queries, subscriptions at the storage node,
/// the query cache, calls retried after a runner was lost, and mutations re-run after a conflict.
///
/// The registry is this coordinator's own (not a process-wide default), so tests can read it; the
/// `converge coordinator` process also routes swift-metrics into it.
public final class CoordinatorMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Function names come from clients; past this many distinct ones the rest share one label.
    static let maxFunctionLabels = 1_000
    private let functionLabels = Mutex<Set<String>>([])

    let syncSessions: Gauge
    let liveQueries: Gauge
    let runnerRetries: Counter
    let queryCacheLookups: Counter
    let queryCacheExecutions: Counter
    let conflictRetries: Counter

    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
    ]

    init() {
        syncSessions = registry.makeGauge(descriptor: Self.name("sync_sessions", unit: "", help: "Open sync WebSocket sessions."))
        liveQueries = registry.makeGauge(descriptor: Self.name("live_queries", unit: "", help: "Queries in the query sets of open sync sessions."))
        runnerRetries = registry.makeCounter(descriptor: Self.name(
            "runner_retries", unit: "total", help: "Calls sent to another runner because theirs was lost."))
        queryCacheLookups = registry.makeCounter(descriptor: Self.name(
            "query_cache_lookups", unit: "total", help: "Query calls at a snapshot, answered by the shared result cache or run."))
        queryCacheExecutions = registry.makeCounter(descriptor: Self.name(
            "query_cache_executions", unit: "total", help: "Query executions the shared result cache started."))
        conflictRetries = registry.makeCounter(descriptor: Self.name(
            "mutation_conflict_retries", unit: "total", help: "Mutation runs repeated because their commit conflicted with another."))
    }

    private static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "converge", metricName: metric, unitName: unit, helpText: help)
    }

    /// One call of a function: `outcome` is `success`, `error` (the function threw) or `failed`
    /// (it could not run: no runner, overloaded, lost).
    func recordCall(_ function: String, kind: String, outcome: String, duration: Duration) {
        let key = CallKey(function: function, kind: kind, outcome: outcome)
        // The registry finds a metric by building its name and labels; a fan-out records a call per
        // subscriber, so the handles are kept.
        let handles = callHandles.withLock { $0[key] } ?? {
            let function = label(for: function)
            let handles = (registry.makeCounter(descriptor: Self.name("function_calls", unit: "total", help: "Function calls by function, kind and outcome."),
                                                labels: [("function", function), ("kind", kind), ("outcome", outcome)]),
                           registry.makeDurationHistogram(descriptor: Self.name("function_duration", unit: "seconds", help: "Function call latency at the coordinator."),
                                                          labels: [("function", function), ("kind", kind)], buckets: Self.durationBuckets))
            callHandles.withLock { if $0.count < 4 * Self.maxFunctionLabels { $0[key] = handles } }
            return handles
        }()
        handles.0.increment()
        handles.1.record(duration)
    }

    private struct CallKey: Hashable {
        let function: String
        let kind: String
        let outcome: String
    }
    private let callHandles = Mutex<[CallKey: (Counter, DurationHistogram)]>([:])

    private func label(for name: String) -> String {
        functionLabels.withLock { seen in
            if seen.contains(name) { return name }
            guard seen.count < Self.maxFunctionLabels else { return "other" }
            seen.insert(name)
            return name
        }
    }

    /// The Prometheus text, with the gauges read from current state first.
    func render(runners: [RunnerPool: Int], storageSubscriptions: Int) -> String {
        for (pool, count) in runners {
            registry.makeGauge(descriptor: Self.name("runners", unit: "", help: "Connected runners by pool."),
                               labels: [("pool", "\(pool)")]).set(Double(count))
        }
        registry.makeGauge(descriptor: Self.name("storage_subscriptions", unit: "", help: "Read sets watched at the storage node."))
            .set(Double(storageSubscriptions))
        return registry.emitToString()
    }
}
