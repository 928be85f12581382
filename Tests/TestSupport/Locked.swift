import Synchronization

/// A value shared between test tasks.
public final class Locked<T: Sendable>: Sendable {
    private let mutex: Mutex<T>

    public init(_ value: T) { mutex = Mutex(value) }

    public func withLock<R: Sendable>(_ body: (inout T) -> R) -> R { mutex.withLock { body(&$0) } }

    public var value: T { mutex.withLock { $0 } }
}
