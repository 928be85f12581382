import NIOCore
import Synchronization

/// Writes frames to a channel from any thread, in order, with one hop to the event loop and one flush
/// for all the frames that are waiting when it runs. Under load, answers and requests that pile up
/// while the loop is busy go out in one `writev` instead of a system call each.
public final class FrameWriter: Sendable {
    private let channel: Channel
    private let queue = Mutex<(frames: [Frame], scheduled: Bool)>(([], false))

    public init(channel: Channel) {
        self.channel = channel
    }

    public func write(_ frame: Frame) {
        let schedule = queue.withLock { queue in
            queue.frames.append(frame)
            defer { queue.scheduled = true }
            return !queue.scheduled
        }
        guard schedule else { return }
        channel.eventLoop.execute { [self] in
            let frames = queue.withLock { queue in
                defer { queue = ([], false) }
                return queue.frames
            }
            for frame in frames { channel.write(frame, promise: nil) }
            channel.flush()
        }
    }
}
