import Foundation

/// Where a pipeline reads time: monotonic nanoseconds from an arbitrary origin.
public protocol PipelineClock: Sendable {
    func now() -> UInt64
}

/// The system's monotonic clock (unaffected by wall-clock changes).
public struct MonotonicClock: PipelineClock {
    public init() {}
    public func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// A clock that moves only when told to, so timing logic is tested exactly: a test stage
/// "takes 20 ms" by advancing the clock 20 ms inside `process`.
public final class ManualClock: PipelineClock, @unchecked Sendable {
    // @unchecked: `nanoseconds` is guarded by `lock`.
    private let lock = NSLock()
    private var nanoseconds: UInt64

    public init(nanoseconds: UInt64 = 0) {
        self.nanoseconds = nanoseconds
    }

    public func now() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nanoseconds
    }

    public func advance(nanoseconds delta: UInt64) {
        lock.lock()
        nanoseconds += delta
        lock.unlock()
    }

    public func advance(milliseconds: Double) {
        precondition(milliseconds >= 0, "a clock cannot go back: \(milliseconds) ms")
        advance(nanoseconds: UInt64((milliseconds * 1e6).rounded()))
    }
}
