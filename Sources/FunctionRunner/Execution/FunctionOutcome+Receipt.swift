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
            buffer.writeFunctionFailure(message: error.message, data: error.data, stack: error.stack)
        }
        buffer.writeLogLines(logLines)
        return Array(buffer.readableBytesView)
    }

    init(receiptBytes: [UInt8]) throws {
        var buffer = ByteBuffer(bytes: receiptBytes)
        let result: Result<Value, FunctionError>
        if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == Self.failureMarker {
            buffer.moveReaderIndex(forwardBy: 1)
            let failure = try buffer.readFunctionFailure()
            result = .failure(FunctionError(message: failure.message, data: failure.data, stack: failure.stack))
        } else {
            result = .success(try buffer.readValue())
        }
        self.init(result: result, logLines: try buffer.readLogLines())
    }
}
