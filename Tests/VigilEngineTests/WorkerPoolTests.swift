import Foundation
import XCTest
@testable import VigilEngine

final class WorkerPoolTests: XCTestCase {
    struct CountItems: ParallelJob {
        let counts: UnsafeMutablePointer<Int>
        func run(_ range: Range<Int>) { for i in range { counts[i] += 1 } }
    }

    struct AddIndex: ParallelJob {
        let sums: UnsafeMutablePointer<Int>
        func run(_ range: Range<Int>) { for i in range { sums[i] += i } }
    }

    /// Many back-to-back small jobs (the shape of a detector's steps): every chunk runs exactly once,
    /// and `run` returns only after all of them.
    func testEveryChunkRunsExactlyOnce() {
        let pool = WorkerPool.shared
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { counts.deallocate() }
        var generator = SeededGenerator(seed: 9)
        for job in 0..<20_000 {
            let chunks = Int.random(in: 1...16, using: &generator)
            counts.initialize(repeating: 0, count: chunks)
            pool.run(CountItems(counts: counts), count: chunks, chunks: chunks)  // one item per chunk
            for c in 0..<chunks where counts[c] != 1 {
                XCTFail("job \(job): chunk \(c) of \(chunks) ran \(counts[c]) times")
                return
            }
            // A pause now and then lets the workers park, so the wake-up path is exercised too.
            if job % 2_000 == 0 { usleep(5_000) }
        }
    }

    /// Two threads splitting work at once: one gets the pool, the other runs inline; both are right.
    func testConcurrentCallersGetCorrectResults() {
        let group = DispatchGroup()
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        failures.initialize(repeating: 0, count: 2)
        defer { failures.deallocate() }
        let box = UncheckedSendable(failures)
        for caller in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                let sums = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
                for _ in 0..<2_000 {
                    sums.initialize(repeating: 0, count: 1000)
                    parallelChunks(1000, threads: 2, work: .max, AddIndex(sums: sums))
                    for i in 0..<1000 where sums[i] != i { box.value[caller] += 1 }
                }
                sums.deallocate()
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(failures[0] + failures[1], 0)
    }
}
