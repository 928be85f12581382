/// Ends a sync session with a bare close and no FatalError (spec §1.3: internal errors and auth failures).
struct SyncSessionEnd: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
