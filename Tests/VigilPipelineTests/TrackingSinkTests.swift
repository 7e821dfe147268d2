import Foundation
import VigilPipeline
import VigilVision
import XCTest

final class TrackingSinkTests: XCTestCase {
    /// A face moving 300 px/s right, one frame every 1/30 s, each result emitted 100 ms after capture.
    func run(forecast: Bool, horizon: Double? = nil, frames: Int = 30) throws -> [FrameResult] {
        var sink = TrackingSink(CollectingSink<FrameResult>(), forecast: forecast, horizon: horizon)
        for f in 0..<frames {
            let pts = Double(f) / 30
            let box = Box(centerX: Float(100 + 300 * pts), centerY: 80, width: 40, height: 50)
            let result = FrameResult(frameIndex: f, pts: pts, detections: [
                Detection(label: "face", classIndex: 0, score: 0.9, box: box, keypoints: [Keypoint(x: box.centerX, y: 70)])])
            let start = UInt64(5_000_000_000) + UInt64(f) * 33_333_333
            let timing = FrameTiming(sequence: f, spans: [StageSpan(stage: "decode", start: start, end: start + 1_000_000)],
                                     arrival: start + 100_000_000)
            try sink.consume(result, timing: timing)
        }
        try sink.finish()
        XCTAssertTrue(sink.inner.finished)
        return sink.inner.items
    }

    func testAddsIdentityVelocityAndTimes() throws {
        let results = try run(forecast: false)
        XCTAssertEqual(results.count, 30)
        let last = try XCTUnwrap(results.last)
        XCTAssertEqual(last.capturedAt ?? -1, 29 * 0.033333333, accuracy: 1e-6)
        XCTAssertEqual(last.emittedAt ?? -1, 29 * 0.033333333 + 0.1, accuracy: 1e-6)
        let detection = try XCTUnwrap(last.detections.first)
        XCTAssertEqual(detection.trackID, 1)
        XCTAssertEqual(detection.velocity?.x ?? 0, 300, accuracy: 10)
        XCTAssertEqual(detection.box.centerX, 100 + 300 * 29 / 30, accuracy: 1.5, "unforecast: the box at the frame's time")
        let line = DetectionRecord(last, timing: FrameTiming(sequence: 29)).jsonLine()
        XCTAssertTrue(line.hasPrefix(#"{"frame":29,"pts":0.966667,"captured_s":0.966667,"emitted_s":1.066667,"detections":[{"id":1,"label":"face""#), line)
        XCTAssertTrue(line.contains(#""velocity":["#), line)
    }

    func testForecastMovesBoxesToTheEmissionTime() throws {
        let stale = try XCTUnwrap(try run(forecast: false).last?.detections.first)
        let forecast = try XCTUnwrap(try run(forecast: true).last?.detections.first)
        let present = Box(centerX: Float(100 + 300 * (29.0 / 30 + 0.1)), centerY: 80, width: 40, height: 50)
        XCTAssertLessThan(stale.box.iou(present), 0.5, "100 ms late at 300 px/s is 30 px off a 40 px box")
        XCTAssertGreaterThan(forecast.box.iou(present), 0.9)
        XCTAssertEqual(forecast.keypoints.first?.x ?? 0, forecast.box.centerX, accuracy: 0.5, "landmarks move with the box")

        let fixed = try XCTUnwrap(try run(forecast: true, horizon: 0.2).last?.detections.first)
        XCTAssertEqual(fixed.box.centerX, Float(100 + 300 * (29.0 / 30 + 0.2)), accuracy: 3)
    }
}
