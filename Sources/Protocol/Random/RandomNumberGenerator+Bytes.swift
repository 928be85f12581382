extension RandomNumberGenerator {
    /// `count` random bytes, eight from each draw. Drawing them one `UInt8` at a time from the system
    /// generator costs a `getrandom` system call per byte (30 per mutation, measured).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var word = next()
            for _ in 0..<min(8, count - bytes.count) {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }
}

/// Random bytes that must be unpredictable: secrets, nonces, idempotency keys.
public enum RandomBytes {
    /// `count` bytes from the system's cryptographically secure generator.
    public static func system(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return generator.bytes(count)
    }
}
