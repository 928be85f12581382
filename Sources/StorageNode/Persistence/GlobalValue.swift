/// How the node's numeric globals (timestamps, counters) are stored: 8 little-endian bytes.
enum GlobalValue {
    static func encode(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The value, or 0 for anything that is not 8 bytes.
    static func decode(_ bytes: [UInt8]) -> UInt64 {
        bytes.count == 8 ? bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } : 0
    }
}
