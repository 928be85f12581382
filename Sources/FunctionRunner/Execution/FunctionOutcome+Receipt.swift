import NIOCore
import Protocol

/// A mutation's outcome as its commit receipt keeps it, so a later call under the same idempotency
/// key answers exactly what the first one did.
///
/// A success is its value then its log lines. A failure (kept for a client's re-sends) begins with
/// `failureMarker`, a byte no value's encoding begins with, then the message, the ConvexError data,
/// the stack and the log lines.
extension FunctionOutcome {
    private static let failureMarker: UInt8 = 0xFF

    func receiptBytes() -> [UInt8] {
        var buffer = ByteBuffer()
        switch result {
        case .success(let value):
            buffer.writeValue(value)
        case .failure(let error):
            buffer.writeInteger(Self.failureMarker)
            buffer.writeLengthPrefixedString(error.message)
            buffer.writeOptionalValue(error.data)
            buffer.writeLengthPrefixedString(error.stack)
        }
        buffer.writeVarUInt(UInt64(logLines.count))
        for line in logLines { buffer.writeLengthPrefixedString(line) }
        return Array(buffer.readableBytesView)
    }

    init(receiptBytes: [UInt8]) throws {
        var buffer = ByteBuffer(bytes: receiptBytes)
        let result: Result<Value, FunctionError>
        if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == Self.failureMarker {
            buffer.moveReaderIndex(forwardBy: 1)
            let message = try buffer.readLengthPrefixedString()
            let data = try buffer.readOptionalValue()
            result = .failure(FunctionError(message: message, data: data, stack: try buffer.readLengthPrefixedString()))
        } else {
            result = .success(try buffer.readValue())
        }
        var lines: [String] = []
        for _ in 0..<(try buffer.readCount()) { lines.append(try buffer.readLengthPrefixedString()) }
        self.init(result: result, logLines: lines)
    }
}
