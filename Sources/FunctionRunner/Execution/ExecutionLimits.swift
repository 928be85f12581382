/// Time limits of user code (DESIGN.md, spec §7.3), each configurable.
public struct ExecutionLimits: Sendable {
    /// JavaScript CPU time per query or mutation.
    public var queryMutationCPUSeconds: Double = 1
    /// Wall-clock time per query or mutation, including time spent waiting on the database.
    public var queryMutationWallSeconds: Double = 15
    /// Wall-clock time per action.
    public var actionSeconds: Double = 600

    public init() {}
}
