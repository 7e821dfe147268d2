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

    /// Records which chunks the calling thread ran; the first chunk a worker runs stalls it for
    /// 20 ms, as a descheduled vCPU would.
    struct RecordThreads: ParallelJob {
        let caller: pthread_t
        let ranByCaller: UnsafeMutablePointer<Bool>
        let ranByWorker: UnsafeMutablePointer<Int>
        let workerStarted: UnsafeMutablePointer<Bool>
        func run(_ range: Range<Int>) {
            if pthread_equal(pthread_self(), caller) != 0 {
                for chunk in range { ranByCaller[chunk] = true }
                return
            }
            if !workerStarted.pointee { workerStarted.pointee = true; usleep(20_000) }
            ranByWorker.pointee += range.count
        }
    }

    /// The caller runs its own share (the first half of the chunks) and takes the stalled
    /// worker's from the far end: the worker ends with at most the one chunk it stalled in.
    /// With one thread requested, no worker touches the job.
    func testAStalledWorkersShareGoesToTheCaller() {
        let ranByCaller = UnsafeMutablePointer<Bool>.allocate(capacity: 8)
        let ranByWorker = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        let workerStarted = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
        defer { ranByCaller.deallocate(); ranByWorker.deallocate(); workerStarted.deallocate() }
        for threads in [2, 1] {
            for _ in 0..<20 {
                ranByCaller.initialize(repeating: false, count: 8)
                ranByWorker.initialize(to: 0)
                workerStarted.initialize(to: false)
                let job = RecordThreads(caller: pthread_self(), ranByCaller: ranByCaller, ranByWorker: ranByWorker,
                                        workerStarted: workerStarted)
                WorkerPool.shared.run(job, count: 8, chunks: 8, threads: threads)
                XCTAssertLessThanOrEqual(ranByWorker.pointee, threads == 1 ? 0 : 1, "threads \(threads)")
                XCTAssertEqual((0..<8).filter { ranByCaller[$0] }.count + ranByWorker.pointee, 8)
                XCTAssertTrue((0..<4).allSatisfy { ranByCaller[$0] }, "the caller's own share")
            }
        }
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
            pool.run(CountItems(counts: counts), count: chunks, chunks: chunks, threads: 2)  // one item per chunk
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
