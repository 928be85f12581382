import Crypto
import Foundation

/// Identifies one logical mutation across every attempt to run it: the coordinator's retries on
/// another runner, a runner's retries after losing the storage node, and a client's re-sends after a
/// reconnect. The storage node commits at most once per key and keeps the outcome with it.
public struct IdempotencyKey: Hashable, Sendable {
    /// The key as the storage node stores it: 16 bytes from `generate`, 20 from `sessionRequest`.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A new key: the wall clock in microseconds (8 bytes, big-endian), then 8 random bytes. Keys made
    /// close in time sort together, so the storage node's receipts B-tree takes a group commit's keys
    /// on its last page rather than each on a random page of its own, written whole to the WAL.
    public static func generate(now: Date = Date()) -> IdempotencyKey {
        let micros = UInt64(max(0, now.timeIntervalSince1970 * 1e6))
        var bytes = withUnsafeBytes(of: micros.bigEndian) { Array($0) }
        bytes += RandomBytes.system(8)
        return IdempotencyKey(bytes: bytes)
    }

    /// The key of a sync-protocol mutation: the client's `sessionId` and the mutation's `requestId`
    /// (20 bytes, never the 16 of a generated key). A client that keeps its session across reconnects
    /// (the JS client does) re-sends an unsettled mutation under the same pair, and so the same key.
    /// A session ID is the 16 bytes of its UUID, so one session's keys sit together in the receipts
    /// B-tree; any other string is hashed to 16 bytes.
    public static func sessionRequest(sessionId: String, requestId: UInt32) -> IdempotencyKey {
        var bytes: [UInt8]
        if let uuid = UUID(uuidString: sessionId) {
            bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        } else {
            bytes = Array(SHA256.hash(data: Data(sessionId.utf8)).prefix(16))
        }
        bytes += withUnsafeBytes(of: requestId.bigEndian) { Array($0) }
        return IdempotencyKey(bytes: bytes)
    }
}
