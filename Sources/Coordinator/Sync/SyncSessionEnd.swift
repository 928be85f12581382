/// Ends a sync session with a bare close and no FatalError (docs/sync-protocol.md, Closing: internal errors and auth failures).
struct SyncSessionEnd: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
