/// Timestamps on the sync protocol (docs/sync-protocol.md, Timestamps): standard padded base64 of the 8 little-endian bytes,
/// always 12 characters; decoding needs exactly 8 bytes and a value no greater than `Int64.max`.
public enum SyncTimestamp {
    public static func encode(_ ts: Timestamp) -> String {
        withUnsafeBytes(of: ts.littleEndian) { Base64.encode($0) }
    }

    public static func decode(_ text: String) -> Timestamp? {
        guard let bytes = Base64.decode(text), bytes.count == 8 else { return nil }
        let value = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        return value <= UInt64(Int64.max) ? value : nil
    }
}

/// The state a sync session is in (docs/sync-protocol.md, State versions): query-set version, identity version, timestamp.
public struct StateVersion: Hashable, Sendable {
    public var querySet: UInt32
    public var identity: UInt32
    public var ts: Timestamp

    public init(querySet: UInt32, identity: UInt32, ts: Timestamp) {
        self.querySet = querySet
        self.identity = identity
        self.ts = ts
    }

    public static let initial = StateVersion(querySet: 0, identity: 0, ts: 0)
}
