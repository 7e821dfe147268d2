import VigilPipeline
import VigilVision
import XCTest

/// Deterministic timing through the synchronous driver and a manual clock.
final class TestPipelineTests: XCTestCase {
    func testPushRecordsExactStageTimes() throws {
        let clock = ManualClock()
        let pipeline = TestPipeline<Int, Int>(clock: clock)
            .then(ClosureStage { (x: Int) in clock.advance(milliseconds: 5); return x + 1 }, name: "preprocess")
            .then(ClosureStage { (x: Int) in clock.advance(milliseconds: 20.5); return x * 10 }, name: "inference")
        XCTAssertEqual(pipeline.stages, ["preprocess", "inference"])
        let first = try pipeline.push(1)
        XCTAssertEqual(first.value, 20)
        XCTAssertEqual(first.timing.sequence, 0)
        XCTAssertEqual(first.timing.preprocess, 5)
        XCTAssertEqual(first.timing.inference, 20.5)
        XCTAssertEqual(first.timing.endToEnd, 25.5)
        clock.advance(milliseconds: 100)
        let second = try pipeline.push(2)
        XCTAssertEqual(second.timing.sequence, 1)
        XCTAssertEqual(second.timing.start, 125_500_000)
    }

    /// A full run: the source takes 3 ms per frame, stages 5/20/2 ms. Timings are exact;
    /// percentiles are exact to the histogram's 0.1% resolution (HdrHistogram reports a
    /// bucket's highest equivalent value), min, max and mean exactly.
    func testRunReportsExactLatencyStats() throws {
        let clock = ManualClock()
        var source = CountingSource(limit: 10)
        let timedSource = ClosureSource<Int> { clock.advance(milliseconds: 3); return try source.next() }
        let pipeline = TestPipeline<Int, Int>(clock: clock)
            .then(ClosureStage { (x: Int) in clock.advance(milliseconds: 5); return x }, name: "preprocess")
            // Frame 9 is slow, to move p99 and max but not p50 or p90.
            .then(ClosureStage { (x: Int) in clock.advance(milliseconds: x == 9 ? 50 : 20); return x }, name: "inference")
            .then(ClosureStage { (x: Int) in clock.advance(milliseconds: 2); return x }, name: "postprocess")
        var sink = CollectingSink<Int>()
        let report = try pipeline.run(source: timedSource, into: &sink)
        XCTAssertEqual(sink.items, Array(0..<10))
        XCTAssertTrue(sink.finished)
        XCTAssertEqual(report.delivered, 10)
        XCTAssertEqual(report.latency.stages, ["decode", "preprocess", "inference", "postprocess", "end_to_end"])
        let inference = try XCTUnwrap(report.latency.summary("inference"))
        XCTAssertEqual(inference.p50, 20, accuracy: 0.02)
        XCTAssertEqual(inference.p90, 20, accuracy: 0.02)
        XCTAssertEqual(inference.p99, 50, accuracy: 0.05)
        XCTAssertEqual(inference.max, 50)
        XCTAssertEqual(inference.min, 20)
        XCTAssertEqual(inference.mean, 23)
        let endToEnd = try XCTUnwrap(report.latency.summary("end_to_end"))
        XCTAssertEqual(endToEnd.p50, 30, accuracy: 0.03)
        XCTAssertEqual(endToEnd.max, 60)
        XCTAssertEqual(report.milliseconds, 9 * 30 + 60 + 3, "ten frames, then the source's final nil")
    }

    func testErrorsNameStageAndItem() {
        let pipeline = TestPipeline<Int, Int>(clock: ManualClock())
            .then(ClosureStage { (x: Int) in x }, name: "a")
            .then(ClosureStage { (x: Int) -> Int in if x == 2 { throw TestError(message: "boom") }; return x }, name: "b")
        XCTAssertNoThrow(try pipeline.push(0))
        XCTAssertNoThrow(try pipeline.push(1))
        XCTAssertThrowsError(try pipeline.push(2)) { error in
            XCTAssertEqual("\(error)", "stage 'b' failed on item 2: boom")
        }
    }

    /// The JSON Lines sink fed by the test driver: one exact line per frame.
    func testJSONLinesFromADeterministicRun() throws {
        let clock = ManualClock()
        let frames = (0..<2).map { i in
            FrameResult(frameIndex: i, pts: Double(i) * 1001 / 30000,
                        detections: [Detection(label: "face", classIndex: 0, score: 0.934_56, box: Box(x1: 61.316, y1: 47.95, x2: 118.1, y2: 94))])
        }
        var lines: [String] = []
        var writer = JSONLinesWriter(write: { lines.append($0) })
        var queue = frames[...]
        let source = ClosureSource<FrameResult> { clock.advance(milliseconds: 1.5); return queue.popFirst() }
        let pipeline = TestPipeline<FrameResult, FrameResult>(clock: clock)
            .then(ClosureStage { (r: FrameResult) in clock.advance(milliseconds: 0.25); return r }, name: "preprocess")
            .then(ClosureStage { (r: FrameResult) in clock.advance(milliseconds: 12.3456); return r }, name: "inference")
            .then(ClosureStage { (r: FrameResult) in clock.advance(milliseconds: 0.5); return r }, name: "postprocess")
        try pipeline.run(source: source, into: &writer)
        XCTAssertEqual(writer.lineCount, 2)
        XCTAssertEqual(lines, [
            #"{"frame":0,"pts":0.0,"detections":[{"label":"face","score":0.9346,"box":[61.3,48.0,118.1,94.0]}],"latency_ms":{"decode":1.5,"preprocess":0.25,"inference":12.346,"postprocess":0.5,"end_to_end":14.596}}"#,
            #"{"frame":1,"pts":0.033367,"detections":[{"label":"face","score":0.9346,"box":[61.3,48.0,118.1,94.0]}],"latency_ms":{"decode":1.5,"preprocess":0.25,"inference":12.346,"postprocess":0.5,"end_to_end":14.596}}"#,
        ])
    }
}
