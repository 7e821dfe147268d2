import Foundation
import VigilPipeline
import XCTest

final class PipelineTests: XCTestCase {
    func testOrderPreservedAndLosslessUnderBlock() throws {
        let report = try withDeadline(30) { () -> [Int] in
            var sink = CollectingSink<Int>()
            try Pipeline(source: CountingSource(limit: 500))
                .then(ClosureStage { (x: Int) in x * 2 }, name: "double", capacity: 1)
                .then(ClosureStage { (x: Int) in x + 1 }, name: "increment", capacity: 1)
                .run(into: &sink, capacity: 1)
            XCTAssertTrue(sink.finished)
            XCTAssertEqual(sink.timings.map(\.sequence), Array(0..<500))
            return sink.items
        }
        XCTAssertEqual(report, (0..<500).map { $0 * 2 + 1 })
    }

    /// A fast source into a slow stage through a one-slot `.dropOldest` queue: frames are
    /// dropped, every drop is counted, and what arrives is still in order.
    func testDropOldestCountsDrops() throws {
        let (items, report) = try withDeadline(30) { () -> ([Int], PipelineReport) in
            var sink = CollectingSink<Int>()
            let report = try Pipeline(source: CountingSource(limit: 200))
                .then(SleepStage(milliseconds: 2), name: "slow", capacity: 1, policy: .dropOldest)
                .run(into: &sink)
            return (sink.items, report)
        }
        XCTAssertEqual(report.produced, 200)
        XCTAssertEqual(report.delivered, items.count)
        XCTAssertGreaterThan(report.dropped["slow"] ?? 0, 0, "\(report.dropped)")
        XCTAssertEqual(report.delivered + report.totalDropped, report.produced, "every frame is delivered or counted as dropped")
        XCTAssertEqual(items, items.sorted())
        XCTAssertEqual(items.last, 199, "the newest frame survives")
    }

    /// A stage failing mid-stream while the source would run forever: `run` throws that
    /// error, naming the stage and item, and every thread exits.
    func testStageErrorStopsThePipeline() throws {
        XCTAssertThrowsError(try withDeadline(10) {
            try Pipeline(source: CountingSource())
                .then(ClosureStage { (x: Int) -> Int in
                    if x == 5 { throw TestError(message: "bad frame") }
                    return x
                }, name: "fragile")
                .then(SleepStage(milliseconds: 1), name: "after")
                .run(into: CollectingSink<Int>())
        }) { error in
            guard case let .stageFailed(stage, sequence, underlying)? = error as? PipelineError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(stage, "fragile")
            XCTAssertEqual(sequence, 5)
            XCTAssertEqual(underlying as? TestError, TestError(message: "bad frame"))
            XCTAssertEqual("\(error)", "stage 'fragile' failed on item 5: bad frame")
        }
    }

    func testSourceAndSinkErrorsPropagate() throws {
        struct FailingSource: SourceStage {
            var n = 0
            mutating func next() throws -> Int? {
                n += 1
                if n == 3 { throw TestError(message: "truncated file") }
                return n
            }
        }
        XCTAssertThrowsError(try withDeadline(10) { try Pipeline(source: FailingSource()).run(into: CollectingSink<Int>()) }) { error in
            XCTAssertEqual("\(error)", "stage 'decode' failed on item 2: truncated file")
        }

        struct FailingSink: SinkStage {
            mutating func consume(_ input: Int, timing: FrameTiming) throws {
                if input == 10 { throw TestError(message: "disk full") }
            }
        }
        XCTAssertThrowsError(try withDeadline(10) {
            try Pipeline(source: CountingSource()).then(SleepStage(milliseconds: 0), name: "pass").run(into: FailingSink(), name: "writer")
        }) { error in
            XCTAssertEqual("\(error)", "stage 'writer' failed on item 10: disk full")
        }

        struct FailingFinish: SinkStage {
            mutating func consume(_ input: Int, timing: FrameTiming) throws {}
            mutating func finish() throws { throw TestError(message: "cannot close") }
        }
        XCTAssertThrowsError(try withDeadline(10) { try Pipeline(source: CountingSource(limit: 3)).run(into: FailingFinish()) }) { error in
            XCTAssertEqual("\(error)", "stage 'sink' failed while finishing: cannot close")
        }
    }

    /// Stages of 20, 30 and 20 ms on their own threads overlap: 20 items take about
    /// 20 × 30 ms + 40 ms, not 20 × 70 ms. The bound is generous; the point is overlap.
    func testStagesOverlap() throws {
        let report = try withDeadline(60) {
            try Pipeline(source: CountingSource(limit: 20))
                .then(SleepStage(milliseconds: 20), name: "a")
                .then(SleepStage(milliseconds: 30), name: "b")
                .then(SleepStage(milliseconds: 20), name: "c")
                .run(into: CollectingSink<Int>())
        }
        XCTAssertEqual(report.delivered, 20)
        XCTAssertLessThan(report.milliseconds, 20 * 70 * 0.7, "no overlap: \(report.milliseconds) ms")
        let b = try XCTUnwrap(report.latency.summary("b"))
        XCTAssertGreaterThanOrEqual(b.p50, 29)
        XCTAssertEqual(report.latency.stages, ["decode", "a", "b", "c", "end_to_end"])
        let endToEnd = try XCTUnwrap(report.latency.summary("end_to_end"))
        XCTAssertGreaterThanOrEqual(endToEnd.min, 69, "end-to-end includes every stage")
    }

    /// `stopHandle` ends an endless live run gracefully: queued items drain and `finish` runs.
    func testStopHandleDrainsAndFinishes() throws {
        let (items, finished) = try withDeadline(10) { () -> ([Int], Bool) in
            var sink = StoppingSink()
            let pipeline = Pipeline(source: CountingSource()).then(SleepStage(milliseconds: 1), name: "work")
            sink.stop = pipeline.stopHandle
            try pipeline.run(into: &sink)
            return (sink.items, sink.finished)
        }
        XCTAssertTrue(finished)
        XCTAssertGreaterThanOrEqual(items.count, 10)
        XCTAssertEqual(items, Array(0..<items.count))
    }

    struct StoppingSink: SinkStage {
        var stop: StopHandle?
        var items: [Int] = []
        var finished = false
        mutating func consume(_ input: Int, timing: FrameTiming) throws {
            items.append(input)
            if items.count == 10 { stop?.stop() }
        }
        mutating func finish() throws { finished = true }
    }
}

/// `then(replicas:)`: one stage run by several threads, each item by one replica.
final class ReplicatedStageTests: XCTestCase {
    /// Replicas that take random, different times per item: everything arrives, in source
    /// order, and every replica did part of the work.
    func testItemsLeaveInSourceOrderWhateverEachReplicaTakes() throws {
        let (items, sequences, shares) = try withDeadline(30) { () -> ([Int], [Int], [Int]) in
            let counters = (0..<3).map { _ in Counter() }
            var sink = CollectingSink<Int>()
            try Pipeline(source: CountingSource(limit: 300))
                .then(replicas: counters.map { counter in
                    ClosureStage { (x: Int) -> Int in
                        counter.increment()
                        // Up to 0.5 ms, differently per item, so later items often finish first.
                        Thread.sleep(forTimeInterval: Double((x * 7919) % 5) / 10_000)
                        return x * 3
                    }
                }, name: "triple", capacity: 1)
                .then(ClosureStage { (x: Int) in x + 1 }, name: "increment", capacity: 1)
                .run(into: &sink, capacity: 1)
            XCTAssertTrue(sink.finished)
            return (sink.items, sink.timings.map(\.sequence), counters.map(\.value))
        }
        XCTAssertEqual(items, (0..<300).map { $0 * 3 + 1 })
        XCTAssertEqual(sequences, Array(0..<300))
        XCTAssertEqual(shares.reduce(0, +), 300)
        for share in shares { XCTAssertGreaterThan(share, 0, "every replica works: \(shares)") }
    }

    /// Two replicas of a 4 ms stage work at the same time (each item's work overlaps another's).
    func testReplicasOverlap() throws {
        let peak = try withDeadline(30) { () -> Int in
            let inFlight = InFlight()
            let replicas = (0..<2).map { _ in
                ClosureStage { (x: Int) -> Int in
                    inFlight.enter(); defer { inFlight.leave() }
                    Thread.sleep(forTimeInterval: 0.004)
                    return x
                }
            }
            try Pipeline(source: CountingSource(limit: 60)).then(replicas: replicas, name: "slow").run(into: CollectingSink<Int>())
            return inFlight.peak
        }
        XCTAssertEqual(peak, 2, "two replicas never ran at once")
    }

    /// A replica failing while the others hold later items: `run` throws that error and
    /// every thread exits (nobody waits forever for the failed item's turn).
    func testAReplicaFailingStopsThePipeline() throws {
        XCTAssertThrowsError(try withDeadline(10) {
            try Pipeline(source: CountingSource())
                .then(replicas: (0..<3).map { _ in
                    ClosureStage { (x: Int) -> Int in
                        if x == 40 { Thread.sleep(forTimeInterval: 0.01); throw TestError(message: "bad frame") }
                        return x
                    }
                }, name: "fragile")
                .run(into: CollectingSink<Int>())
        }) { error in
            XCTAssertEqual("\(error)", "stage 'fragile' failed on item 40: bad frame")
        }
    }

    /// The sink failing while replicas are blocked pushing: no hang, the sink's error.
    func testDownstreamFailureReachesBlockedReplicas() throws {
        struct FailingSink: SinkStage {
            mutating func consume(_ input: Int, timing: FrameTiming) throws {
                if input == 25 { throw TestError(message: "disk full") }
            }
        }
        XCTAssertThrowsError(try withDeadline(10) {
            try Pipeline(source: CountingSource())
                .then(replicas: [SleepStage(milliseconds: 0), SleepStage(milliseconds: 0)], name: "pass", capacity: 1)
                .run(into: FailingSink(), name: "writer", capacity: 1)
        }) { error in
            XCTAssertEqual("\(error)", "stage 'writer' failed on item 25: disk full")
        }
    }

    /// Under `.dropOldest` (live sources) replicas still deliver in order, and every item
    /// is delivered or counted as dropped.
    func testDropOldestWithReplicas() throws {
        let (items, report) = try withDeadline(30) { () -> ([Int], PipelineReport) in
            var sink = CollectingSink<Int>()
            let report = try Pipeline(source: CountingSource(limit: 300))
                .then(replicas: [SleepStage(milliseconds: 1), SleepStage(milliseconds: 1)], name: "slow", capacity: 1, policy: .dropOldest)
                .run(into: &sink)
            return (sink.items, report)
        }
        XCTAssertGreaterThan(report.dropped["slow"] ?? 0, 0)
        XCTAssertEqual(report.delivered + report.totalDropped, report.produced)
        XCTAssertEqual(items, items.sorted())
        XCTAssertEqual(Set(items).count, items.count)
    }
}

/// A thread-safe tally.
final class Counter: @unchecked Sendable {
    // @unchecked: `count` is guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// Counts how many callers are inside at once.
final class InFlight: @unchecked Sendable {
    // @unchecked: both counts are guarded by `lock`.
    private let lock = NSLock()
    private var now = 0
    private var most = 0
    func enter() { lock.lock(); now += 1; most = max(most, now); lock.unlock() }
    func leave() { lock.lock(); now -= 1; lock.unlock() }
    var peak: Int { lock.lock(); defer { lock.unlock() }; return most }
}
