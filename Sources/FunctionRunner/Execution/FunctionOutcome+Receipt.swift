import NIOCore
import Protocol

/// A committed mutation's outcome as its commit receipt keeps it, so a retried call under the same
/// idempotency key answers exactly what the first one would have.
extension FunctionOutcome {
    func receiptBytes() throws -> [UInt8] {
        guard case .success(let value) = result else { throw HostError("only a successful mutation commits") }
        var buffer = ByteBuffer()
        buffer.writeValue(value)
        buffer.writeVarUInt(UInt64(logLines.count))
        for line in logLines { buffer.writeLengthPrefixedString(line) }
        return Array(buffer.readableBytesView)
    }

    init(receiptBytes: [UInt8]) throws {
        var buffer = ByteBuffer(bytes: receiptBytes)
        let value = try buffer.readValue()
        var lines: [String] = []
        for _ in 0..<(try buffer.readCount()) { lines.append(try buffer.readLengthPrefixedString()) }
        self.init(result: .success(value), logLines: lines)
    }
}
