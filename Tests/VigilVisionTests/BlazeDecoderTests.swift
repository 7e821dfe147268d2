import Foundation
import VigilEngine
import VigilVision
import XCTest

/// Decoding recorded TFLite outputs of the MediaPipe detectors on carphone.mp4 frames.
final class BlazeDecoderTests: XCTestCase {
    /// Frame 0: the man's face is in the upper centre of the 176×144 frame, eyes near
    /// (76, 60) and (99, 58), chin around y = 95 (read off the decoded frame).
    func testShortRangeFaceFindsTheOneFaceInFrameZero() throws {
        let result = try VisionFixtures.decode("face_detection_short_range")
        let faces = result.detections.filter { $0.score > 0.5 }
        XCTAssertEqual(faces.count, 1, "\(result.detections)")
        let face = try XCTUnwrap(faces.first)
        XCTAssertEqual(face.label, "face")
        XCTAssertGreaterThan(face.score, 0.75)
        XCTAssertEqual(face.box.centerX, 88, accuracy: 12, "\(face.box)")
        XCTAssertEqual(face.box.centerY, 65, accuracy: 15, "\(face.box)")
        XCTAssertTrue((30...80).contains(face.box.width), "\(face.box)")
        XCTAssertTrue((30...80).contains(face.box.height), "\(face.box)")
        // Six keypoints; the subject's right eye is on the image's left.
        XCTAssertEqual(face.keypoints.count, 6)
        let (rightEye, leftEye) = (face.keypoints[0], face.keypoints[1])
        XCTAssertLessThan(rightEye.x, leftEye.x)
        XCTAssertEqual(rightEye.x, 76, accuracy: 8)
        XCTAssertEqual(leftEye.x, 99, accuracy: 8)
        XCTAssertEqual(rightEye.y, 60, accuracy: 8)
        for point in face.keypoints.prefix(4) {
            XCTAssertTrue(face.box.x1 <= point.x && point.x <= face.box.x2 && face.box.y1 <= point.y && point.y <= face.box.y2,
                          "keypoint \(point) outside \(face.box)")
        }
    }

    /// Frame 60: the same man, facing the camera; the full-range model sees one face too.
    func testFullRangeFaceFindsOneFace() throws {
        let result = try VisionFixtures.decode("face_detection_full_range_sparse")
        XCTAssertEqual(result.detections.count, 1, "\(result.detections)")
        let face = try XCTUnwrap(result.detections.first)
        XCTAssertEqual(face.box.centerX, 78, accuracy: 15, "\(face.box)")
        XCTAssertEqual(face.box.centerY, 62, accuracy: 20, "\(face.box)")
    }

    /// Frame 60 through the pose detector: one person, whose body box (from the hip and
    /// scale keypoints) contains the face region.
    func testPoseDetectorFindsOnePerson() throws {
        let result = try VisionFixtures.decode("pose_detection")
        XCTAssertEqual(result.detections.count, 1, "\(result.detections)")
        let person = try XCTUnwrap(result.detections.first)
        XCTAssertEqual(person.label, "person")
        XCTAssertEqual(person.keypoints.count, 4)
        XCTAssertTrue(person.box.x1 < 70 && person.box.x2 > 100 && person.box.y1 < 40, "\(person.box)")
        XCTAssertGreaterThan(person.box.area, 0.3 * 176 * 144, "a body box, not the face box: \(person.box)")
        // Keypoint 2 is the mid-shoulder point: just above the bow tie at about (100, 105).
        let shoulders = person.keypoints[2]
        XCTAssertTrue((70...115).contains(shoulders.x) && (90...135).contains(shoulders.y), "\(shoulders)")
    }

    /// The palm fixture input is normalised to [-1, 1] while the palm graph feeds [0, 1], and
    /// frame 60 shows no open hand: only check that decoding runs and stays in the frame.
    func testPalmDecodingRuns() throws {
        let result = try VisionFixtures.decode("palm_detection_lite")
        for palm in result.detections {
            XCTAssertEqual(palm.keypoints.count, 7)
            XCTAssertTrue(palm.box.x1 >= 0 && palm.box.x2 <= 176 && palm.box.y1 >= 0 && palm.box.y2 <= 144, "\(palm.box)")
            XCTAssertGreaterThan(palm.box.area, 0, "boxes wholly outside the picture are dropped")
            XCTAssertGreaterThanOrEqual(palm.score, 0.5)
        }
    }

    /// Hand-made rows decode to the expected box: centre offsets and sizes are in input pixels
    /// relative to 1×1 anchors (x_scale = input size).
    func testSyntheticRowDecodes() throws {
        let anchors = [Anchor(centerX: 0.5, centerY: 0.25, width: 1, height: 1), Anchor(centerX: 0.1, centerY: 0.1, width: 1, height: 1)]
        let options = BlazeDecoderOptions(numBoxes: 2, numCoords: 6, xScale: 100, yScale: 100, wScale: 100, hScale: 100,
                                          numKeypoints: 1, scoreClippingThreshold: 100)
        let decoder = try BlazeDecoder(anchors: anchors, options: options, inputWidth: 100, inputHeight: 100, labels: ["thing"],
                                       scoreThreshold: 0.5, nms: NMSOptions(algorithm: .weighted, iouThreshold: 0.3))
        // Row 0: centre (50+10, 25-5), size 20×40, keypoint at (+2, +3); logit 2 (p = 0.88).
        // Row 1: logit -3 (p = 0.047), below threshold.
        let regressors: [Float] = [10, -5, 20, 40, 2, 3, 0, 0, 10, 10, 0, 0]
        let detections = try decoder.decode(regressors: regressors, scores: [2, -3], transform: .identity(width: 100, height: 100))
        XCTAssertEqual(detections.count, 1)
        let d = try XCTUnwrap(detections.first)
        XCTAssertEqual(d.score, 1 / (1 + exp(-2)), accuracy: 1e-6)
        assertBox(d.box, Box(x1: 50, y1: 0, x2: 70, y2: 40))
        XCTAssertEqual(d.keypoints.first?.x ?? 0, 52, accuracy: 1e-4)
        XCTAssertEqual(d.keypoints.first?.y ?? 0, 28, accuracy: 1e-4)
    }

    /// Huge or NaN logits and NaN regressors never crash and never produce NaN boxes.
    func testHostileValuesAreSafe() throws {
        let anchors = (0..<3).map { _ in Anchor(centerX: 0.5, centerY: 0.5, width: 1, height: 1) }
        let options = BlazeDecoderOptions(numBoxes: 3, numCoords: 4, xScale: 10, yScale: 10, wScale: 10, hScale: 10, scoreClippingThreshold: 100)
        let decoder = try BlazeDecoder(anchors: anchors, options: options, inputWidth: 10, inputHeight: 10, labels: ["x"],
                                       scoreThreshold: 0.5, nms: NMSOptions(algorithm: .weighted, iouThreshold: 0.3))
        let regressors: [Float] = [0, 0, 2, 2, .nan, 0, 2, 2, 0, 0, -2, 2]
        let detections = try decoder.decode(regressors: regressors, scores: [1e30, 5, .nan], transform: .identity(width: 10, height: 10))
        XCTAssertEqual(detections.count, 1, "NaN box, negative width and NaN score are all dropped: \(detections)")
        XCTAssertEqual(detections.first?.score, 1)
    }

    func testShapeMismatchThrows() throws {
        let decoder = try TaskHead(metadata: VisionFixtures.metadata("face_detection_short_range"))
        let wrong = ["regressors": Tensor(shape: [1, 100, 16], repeating: 0), "classificators": Tensor(shape: [1, 100, 1], repeating: 0)]
        XCTAssertThrowsError(try decoder.decode(outputs: wrong, transform: .identity(width: 128, height: 128)))
    }

    func testAnchorCountMismatchIsRejected() {
        let options = BlazeDecoderOptions(numBoxes: 5, numCoords: 4, xScale: 1, yScale: 1, wScale: 1, hScale: 1)
        XCTAssertThrowsError(try BlazeDecoder(anchors: [], options: options, inputWidth: 1, inputHeight: 1, labels: ["x"],
                                              scoreThreshold: 0.5, nms: NMSOptions(iouThreshold: 0.3)))
    }
}

