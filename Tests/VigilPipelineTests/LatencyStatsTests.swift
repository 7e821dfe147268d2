import VigilPipeline
import XCTest

final class LatencyStatsTests: XCTestCase {
    func testHistogramPercentilesWithinResolution() {
        var h = LatencyHistogram()
        for v in 1...10_000 { XCTAssertTrue(h.record(UInt64(v))) }
        XCTAssertEqual(h.totalCount, 10_000)
        XCTAssertEqual(h.min, 1)
        XCTAssertEqual(h.max, 10_000)
        XCTAssertEqual(h.mean, 5000.5, accuracy: 1e-9)
        for (p, exact) in [(50.0, 5000.0), (90, 9000), (99, 9900), (99.9, 9990)] {
            let v = Double(h.valueAtPercentile(p))
            XCTAssertEqual(v, exact, accuracy: exact * 0.001 + 1, "p\(p)")
            XCTAssertGreaterThanOrEqual(v, exact, "p\(p) never reads low")
        }
        XCTAssertEqual(h.valueAtPercentile(100), 10_000)
        XCTAssertEqual(h.valueAtPercentile(0), 1)
        // Exact below 2048 (3 significant digits).
        var small = LatencyHistogram()
        [3, 3, 7, 1500].forEach { small.record($0) }
        XCTAssertEqual(small.valueAtPercentile(50), 3)
        XCTAssertEqual(small.valueAtPercentile(75), 7)
    }

    func testRangeResetAndAdd() {
        var a = LatencyHistogram(highestTrackableValue: 1000)
        XCTAssertFalse(a.record(1001))
        XCTAssertEqual(a.totalCount, 0)
        XCTAssertEqual(a.valueAtPercentile(50), 0)
        a.record(10)
        var b = LatencyHistogram(highestTrackableValue: 1000)
        b.record(20, count: 3)
        a.add(b)
        XCTAssertEqual(a.totalCount, 4)
        XCTAssertEqual(a.valueAtPercentile(50), 20)
        XCTAssertEqual(a.min, 10)
        a.reset()
        XCTAssertEqual(a.totalCount, 0)
        XCTAssertEqual(a.max, 0)
        // Large values: relative error within 0.1%.
        var big = LatencyHistogram()
        big.record(123_456_789)
        big.record(123_456_789 * 2)
        XCTAssertEqual(Double(big.valueAtPercentile(50)), 123_456_789, accuracy: 123_456.789)
    }

    func testStatsKeepStageOrderAndEndToEndLast() throws {
        var stats = LatencyStats()
        stats.record(FrameTiming(sequence: 0, spans: [StageSpan(stage: "decode", start: 0, end: 2_000_000)], arrival: 5_000_000))
        stats.record(FrameTiming(sequence: 1, spans: [StageSpan(stage: "decode", start: 0, end: 4_000_000),
                                                       StageSpan(stage: "inference", start: 4_000_000, end: 9_000_000)], arrival: 10_000_000))
        XCTAssertEqual(stats.stages, ["decode", "inference", "end_to_end"])
        XCTAssertEqual(stats.summary("decode")?.p50, 2)
        XCTAssertEqual(stats.summary("decode")?.max, 4)
        XCTAssertEqual(stats.summary("end_to_end")?.count, 2)
        XCTAssertNil(stats.summary("postprocess"))
        XCTAssertTrue(stats.markdownTable.contains("| inference | 1 | 5.0 | 5.0 | 5.0 | 5.0 | 5.0 | 5.0 |"), stats.markdownTable)
    }
}
