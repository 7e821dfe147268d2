import Foundation
import VigilPipeline
import VigilVision
import XCTest

final class DetectionRecordTests: XCTestCase {
    func testKeyOrderRoundingAndEscaping() throws {
        let record = DetectionRecord(
            frame: 7, pts: 0.2335,
            detections: [Detection(label: "say \"hi\"\n", classIndex: 0, score: 0.5, box: Box(x1: -0.04, y1: 1.25, x2: 176, y2: .nan),
                                   keypoints: [Keypoint(x: 1.26, y: 2)])],
            latency: [("decode", 1.23456), ("end_to_end", 10)])
        XCTAssertEqual(record.jsonLine(),
                       #"{"frame":7,"pts":0.2335,"detections":[{"label":"say \"hi\"\n","score":0.5,"box":[0.0,1.3,176.0,null]}],"latency_ms":{"decode":1.235,"end_to_end":10.0}}"#)
        XCTAssertTrue(record.jsonLine(keypoints: true).contains(#""keypoints":[[1.3,2.0]]"#))
        let empty = DetectionRecord(frame: 0, pts: 0, detections: [])
        XCTAssertEqual(empty.jsonLine(), #"{"frame":0,"pts":0.0,"detections":[],"latency_ms":{}}"#)
    }

    func testMasksAreWrittenForSegmentationResults() throws {
        let mask = RunLengthMask(label: "person", width: 3, height: 2, rowMajor: [false, true, true, false, false, true])
        let result = FrameResult(frameIndex: 1, pts: 0.5, detections: [], masks: [mask])
        let timing = FrameTiming(sequence: 1, spans: [StageSpan(stage: "decode", start: 0, end: 1_000_000)], arrival: 3_000_000)
        let line = DetectionRecord(result, timing: timing).jsonLine()
        XCTAssertEqual(line, #"{"frame":1,"pts":0.5,"detections":[],"masks":[{"label":"person","size":[2,3],"area":3,"counts":[2,1,1,2]}],"latency_ms":{"decode":1.0,"end_to_end":3.0}}"#)
        // Every line is valid JSON.
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        XCTAssertEqual((object?["masks"] as? [[String: Any]])?.first?["area"] as? Int, 3)
    }
}
