/// Time limits of user code (DESIGN.md, docs/limits.md), each configurable.
public struct ExecutionLimits: Sendable {
    /// JavaScript CPU time per query or mutation.
    public var queryMutationCPUSeconds: Double = 1
    /// Wall-clock time per query or mutation, including time spent waiting on the database.
    public var queryMutationWallSeconds: Double = 15
    /// Wall-clock time per action.
    public var actionSeconds: Double = 600
    /// The size of a function's return value (Convex's measure, `Value.size`), as Convex: 16 MiB.
    public var maxResultBytes = 16 << 20
    /// The same for the runtime's own calls (the push-time schema check), as Convex's system functions.
    public var maxSystemResultBytes = 24 << 20

    public init() {}
}
