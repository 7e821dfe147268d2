import VigilVision
import XCTest

func assertBox(_ actual: Box, _ expected: Box, accuracy: Float = 1e-3, file: StaticString = #filePath, line: UInt = #line) {
    let close = abs(actual.x1 - expected.x1) <= accuracy && abs(actual.y1 - expected.y1) <= accuracy
        && abs(actual.x2 - expected.x2) <= accuracy && abs(actual.y2 - expected.y2) <= accuracy
    XCTAssertTrue(close, "\(actual) is not \(expected) ± \(accuracy)", file: file, line: line)
}

func box(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float) -> Box { Box(x1: x1, y1: y1, x2: x2, y2: y2) }

func detection(_ score: Float, _ box: Box, classIndex: Int = 0, label: String = "x", keypoints: [Keypoint] = []) -> Detection {
    Detection(label: label, classIndex: classIndex, score: score, box: box, keypoints: keypoints)
}
