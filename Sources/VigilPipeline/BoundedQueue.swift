import Foundation

/// What a full queue does with one more element.
public enum DropPolicy: Sendable, Equatable {
    /// The producer waits for room: lossless, with backpressure (files).
    case block
    /// The oldest waiting element is discarded and counted: live sources keep the newest frame.
    case dropOldest
}

/// A fixed-capacity FIFO between two stage threads, safe to share between them.
///
/// Closing is the end-of-stream signal: `push` then fails, `pop` drains what is left and
/// then returns nil. `cancel` also discards what is left, and wakes every waiter, which is
/// how a failing stage stops the whole pipeline without a hang.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only under `condition`.
    public let capacity: Int
    public let policy: DropPolicy
    private let condition = NSCondition()
    private var ring: [Element?]
    private var head = 0
    private var stored = 0
    private var closed = false
    private var dropped = 0
    private var highWater = 0

    public init(capacity: Int, policy: DropPolicy) {
        precondition(capacity > 0, "a queue needs room for at least one element, got capacity \(capacity)")
        self.capacity = capacity
        self.policy = policy
        ring = Array(repeating: nil, count: capacity)
    }

    /// Enqueues `element`, waiting for room under `.block` and evicting the oldest element
    /// under `.dropOldest`.
    /// - Returns: false if the queue is (or, while waiting, became) closed; the element is dropped.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && stored == capacity {
            if policy == .dropOldest {
                ring[head] = nil
                head = (head + 1) % capacity
                stored -= 1
                dropped += 1
            } else {
                condition.wait()
            }
        }
        guard !closed else { return false }
        ring[(head + stored) % capacity] = element
        stored += 1
        highWater = max(highWater, stored)
        condition.broadcast()
        return true
    }

    /// The oldest element, waiting while the queue is empty and open; nil once closed and drained.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while stored == 0 && !closed { condition.wait() }
        return takeFirst()
    }

    /// The oldest element if one is waiting, without blocking.
    public func tryPop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        return takeFirst()
    }

    /// Ends the stream: no more pushes; waiting and later pops drain the rest, then get nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the stream and discards whatever is waiting (error shutdown).
    public func cancel() {
        condition.lock()
        closed = true
        while stored > 0 { ring[head] = nil; head = (head + 1) % capacity; stored -= 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// Elements waiting now.
    public var count: Int { locked { stored } }
    /// Elements evicted by `.dropOldest` so far.
    public var droppedCount: Int { locked { dropped } }
    /// The most elements ever waiting at once.
    public var highWaterMark: Int { locked { highWater } }
    public var isClosed: Bool { locked { closed } }

    private func takeFirst() -> Element? {
        guard stored > 0 else { return nil }
        let element = ring[head]
        ring[head] = nil
        head = (head + 1) % capacity
        stored -= 1
        condition.broadcast()
        return element
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
