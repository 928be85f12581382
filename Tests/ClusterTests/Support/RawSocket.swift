#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Protocol

/// A plain blocking TCP socket, for sending the storage node bytes no well-behaved client would.
final class RawSocket {
    private let fd: Int32
    private var buffer = ByteBuffer()

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw RawSocketError.connectFailed }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ frame: Frame) {
        var out = ByteBuffer()
        frame.write(to: &out)
        send(Array(out.readableBytesView))
    }

    /// The next whole frame, or nil once the server has closed the connection.
    func readFrame() throws -> Frame? {
        while true {
            if let frame = try FrameDecoder.parse(&buffer, maxFrameSize: Frame.defaultMaxSize) { return frame }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            guard n > 0 else { throw RawSocketError.readFailed(errno) }
            buffer.writeBytes(chunk[0..<n])
        }
    }

    /// Reads until the server closes; returns the frames it sent on the way.
    func framesUntilClosed() throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try readFrame() { frames.append(frame) }
        return frames
    }

    /// Completes the handshake with the given secret, as a real client would.
    func handshake(secret: [UInt8]) throws {
        guard let challenge = try readFrame() else { throw RawSocketError.closed }
        send(try Handshake.answer(challenge: challenge, key: Handshake.connectionKey(instanceSecret: secret)))
        guard let welcome = try readFrame(), welcome.kind == MessageKind.welcome.rawValue else { throw RawSocketError.closed }
    }
}

enum RawSocketError: Error { case connectFailed, readFailed(Int32), closed }
