/// Asks for an `Invalidation` when a commit after `ts` touches `readSet`.
public struct SubscribeRequest: Hashable, Sendable {
    /// Chosen by the client; names the subscription on its connection in `Invalidation`s and `unsubscribe`.
    public var id: UInt64
    /// The timestamp the read set was read at; commits after it invalidate.
    public var ts: Timestamp
    public var readSet: ReadSet

    public init(id: UInt64, ts: Timestamp, readSet: ReadSet) {
        self.id = id
        self.ts = ts
        self.readSet = readSet
    }
}

/// Pushed on a connection's stream when commits at or before `ts` touched the read sets of these
/// subscriptions (each fires once), and with no IDs as a watermark: a connection that holds
/// subscriptions is sent one for every published timestamp, and on each subscribe that finds its
/// watermark behind. So once a stream has delivered `ts`, every commit up to `ts` that touched a
/// subscription of the connection has been reported in that stream, before it.
public struct Invalidation: Hashable, Sendable {
    public var subscriptionIDs: [UInt64]
    public var ts: Timestamp

    public init(subscriptionIDs: [UInt64], ts: Timestamp) {
        self.subscriptionIDs = subscriptionIDs
        self.ts = ts
    }
}
