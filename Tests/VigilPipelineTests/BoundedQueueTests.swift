import Foundation
import VigilPipeline
import XCTest

final class BoundedQueueTests: XCTestCase {
    func testFIFOAndClose() {
        let queue = BoundedQueue<Int>(capacity: 3, policy: .block)
        XCTAssertTrue(queue.push(1)); XCTAssertTrue(queue.push(2))
        XCTAssertEqual(queue.count, 2)
        XCTAssertEqual(queue.pop(), 1)
        XCTAssertTrue(queue.push(3)); XCTAssertTrue(queue.push(4))
        queue.close()
        XCTAssertFalse(queue.push(5), "closed queues refuse elements")
        XCTAssertEqual([queue.pop(), queue.pop(), queue.pop(), queue.pop()], [2, 3, 4, nil], "close drains, then ends")
        XCTAssertEqual(queue.highWaterMark, 3)
        XCTAssertEqual(queue.droppedCount, 0)
    }

    func testDropOldestKeepsTheNewestAndCounts() {
        let queue = BoundedQueue<Int>(capacity: 2, policy: .dropOldest)
        for i in 1...5 { XCTAssertTrue(queue.push(i)) }
        XCTAssertEqual(queue.droppedCount, 3)
        XCTAssertEqual([queue.tryPop(), queue.tryPop(), queue.tryPop()], [4, 5, nil])
    }

    /// A producer faster than its consumer waits: nothing is lost, order holds.
    func testBlockIsLosslessUnderConcurrency() {
        let queue = BoundedQueue<Int>(capacity: 4, policy: .block)
        let count = 5000
        let producer = Thread {
            for i in 0..<count { queue.push(i) }
            queue.close()
        }
        producer.start()
        var received: [Int] = []
        while let value = queue.pop() { received.append(value) }
        XCTAssertEqual(received, Array(0..<count))
        XCTAssertLessThanOrEqual(queue.highWaterMark, 4)
    }

    /// Cancel wakes both a producer blocked on a full queue and a consumer blocked on an empty one.
    func testCancelWakesBlockedThreads() {
        let full = BoundedQueue<Int>(capacity: 1, policy: .block)
        full.push(0)
        let empty = BoundedQueue<Int>(capacity: 1, policy: .block)
        let pushed = expectation(description: "blocked push returns")
        let popped = expectation(description: "blocked pop returns")
        Thread { XCTAssertFalse(full.push(1)); pushed.fulfill() }.start()
        Thread { XCTAssertNil(empty.pop()); popped.fulfill() }.start()
        Thread.sleep(forTimeInterval: 0.05)
        full.cancel()
        empty.cancel()
        wait(for: [pushed, popped], timeout: 5)
        XCTAssertEqual(full.count, 0, "cancel discards waiting elements")
    }
}
