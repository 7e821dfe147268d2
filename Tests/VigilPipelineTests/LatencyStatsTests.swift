import VigilPipeline
import XCTest

final class LatencyStatsTests: XCTestCase {
    /// 1 µs … 10 ms through HdrHistogram: percentiles within its 0.1% and never low,
    /// min, max and mean exact.
    func testPercentilesWithinResolution() throws {
        var stats = LatencyStats()
        for v in 1...10_000 { stats.record(stage: "inference", milliseconds: Double(v) / 1000) }
        let s = try XCTUnwrap(stats.summary("inference"))
        XCTAssertEqual(s.count, 10_000)
        XCTAssertEqual(s.min, 0.001)
        XCTAssertEqual(s.max, 10)
        XCTAssertEqual(s.mean, 5.0005, accuracy: 1e-9)
        for (value, exact) in [(s.p50, 5.0), (s.p90, 9.0), (s.p99, 9.9)] {
            XCTAssertEqual(value, exact, accuracy: exact * 0.001 + 0.001)
            XCTAssertGreaterThanOrEqual(value, exact, "a percentile never reads low")
        }
        // Exact below 2.048 ms (three significant digits on microseconds).
        var small = LatencyStats()
        for ms in [0.003, 0.003, 0.007, 1.5] { small.record(stage: "decode", milliseconds: ms) }
        XCTAssertEqual(small.summary("decode")?.p50, 0.003)
        XCTAssertEqual(small.summary("decode")?.p90, 1.5)
    }

    /// Negative, infinite and over-an-hour values are counted at the range's ends, not dropped.
    func testOutOfRangeValuesAreClamped() throws {
        var stats = LatencyStats()
        stats.record(stage: "decode", milliseconds: -1)
        stats.record(stage: "decode", milliseconds: .infinity)
        stats.record(stage: "decode", milliseconds: 5 * 3_600_000)
        let s = try XCTUnwrap(stats.summary("decode"))
        XCTAssertEqual(s.count, 3)
        XCTAssertEqual(s.min, 0)
        XCTAssertEqual(s.max, 3_600_000)
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
