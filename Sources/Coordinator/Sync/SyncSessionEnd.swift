/// Ends a sync session without a FatalError: the socket closes with 1011 (docs/sync-protocol.md, Closing: internal errors and auth failures).
struct SyncSessionEnd: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
