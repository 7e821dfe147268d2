import VigilVision
import XCTest

final class NonMaxSuppressionTests: XCTestCase {
    func testHardKeepsBestOfOverlappingAndDisjointBoxes() {
        let input = [
            detection(0.6, box(1, 1, 11, 11)),     // overlaps the best (IoU 0.68)
            detection(0.9, box(0, 0, 10, 10)),
            detection(0.7, box(50, 50, 60, 60)),   // disjoint
            detection(0.8, box(5, 0, 15, 10)),     // IoU 1/3 with the best: kept at 0.5
        ]
        let kept = NonMaxSuppression.hard(input, iouThreshold: 0.5)
        XCTAssertEqual(kept.map(\.score), [0.9, 0.8, 0.7])
        XCTAssertEqual(NonMaxSuppression.hard(input, iouThreshold: 0.3).map(\.score), [0.9, 0.7])
        XCTAssertEqual(NonMaxSuppression.hard(input, iouThreshold: 0.5, maxDetections: 2).map(\.score), [0.9, 0.8])
        XCTAssertEqual(NonMaxSuppression.hard(input, iouThreshold: 0.5, maxDetections: 0), [])
    }

    func testOutputIsSortedAndTiesKeepInputOrder() {
        let input = [detection(0.5, box(0, 0, 1, 1), label: "a"), detection(0.7, box(10, 10, 11, 11), label: "b"),
                     detection(0.5, box(20, 20, 21, 21), label: "c")]
        XCTAssertEqual(NonMaxSuppression.hard(input, iouThreshold: 0.5).map(\.label), ["b", "a", "c"])
        XCTAssertEqual(NonMaxSuppression.weighted(input, iouThreshold: 0.5).map(\.label), ["b", "a", "c"])
    }

    /// Weighted NMS keeps the leader's score and label and blends corners and keypoints by score.
    func testWeightedBlendsTheGroup() {
        let input = [
            detection(0.75, box(0, 0, 10, 10), label: "leader", keypoints: [Keypoint(x: 2, y: 2)]),
            detection(0.25, box(2, 2, 12, 12), keypoints: [Keypoint(x: 6, y: 6)]),
            detection(0.5, box(100, 100, 110, 110), keypoints: [Keypoint(x: 0, y: 0)]),
        ]
        let kept = NonMaxSuppression.weighted(input, iouThreshold: 0.3)
        XCTAssertEqual(kept.count, 2)
        XCTAssertEqual(kept[0].label, "leader")
        XCTAssertEqual(kept[0].score, 0.75)
        assertBox(kept[0].box, box(0.5, 0.5, 10.5, 10.5))
        XCTAssertEqual(kept[0].keypoints[0].x, 3, accuracy: 1e-5)
        assertBox(kept[1].box, box(100, 100, 110, 110))
    }

    /// A zero-area box overlaps nothing (IoU 0, even with itself): it neither suppresses nor is
    /// suppressed, and weighted NMS does not stall or stop on it.
    func testDegenerateZeroAreaBoxes() {
        let input = [
            detection(0.9, box(5, 5, 5, 5)),
            detection(0.8, box(0, 0, 10, 10)),
            detection(0.7, box(5, 5, 5, 5)),
            detection(0.6, box(3, 3, 3, 20)),
        ]
        XCTAssertEqual(NonMaxSuppression.hard(input, iouThreshold: 0.1).count, 4)
        let weighted = NonMaxSuppression.weighted(input, iouThreshold: 0.1)
        XCTAssertEqual(weighted.map(\.score), [0.9, 0.8, 0.7, 0.6])
        XCTAssertEqual(weighted[0].box, box(5, 5, 5, 5))
    }

    /// NaN scores are dropped; NaN or infinite corners never crash and never poison other boxes.
    func testNaNNeverCrashes() {
        var input = (0..<50).map { i in detection(Float(i % 7) / 7, box(Float(i), 0, Float(i) + 10, 10)) }
        input += [detection(.nan, box(0, 0, 10, 10)), detection(0.99, box(.nan, 0, 10, 10)),
                  detection(.nan, box(.nan, .nan, .nan, .nan)), detection(0.5, box(-.infinity, 0, .infinity, 10)),
                  detection(.infinity, box(0, 0, 10, 10))]
        for algorithm in [NMSAlgorithm.hard, .weighted] {
            let kept = NonMaxSuppression.apply(input, options: NMSOptions(algorithm: algorithm, iouThreshold: 0.5))
            XCTAssertFalse(kept.contains { $0.score.isNaN }, "\(algorithm)")
            XCTAssertTrue(zip(kept, kept.dropFirst()).allSatisfy { $0.score >= $1.score }, "\(algorithm) sorted")
            // Only the one NaN-cornered box may have NaN corners: no blending spread it.
            XCTAssertLessThanOrEqual(kept.filter { !$0.box.isFinite }.count, 2, "\(algorithm)")
            XCTAssertEqual(kept.first?.score, .infinity)
        }
        XCTAssertEqual(NonMaxSuppression.hard([], iouThreshold: 0.5), [])
        XCTAssertEqual(NonMaxSuppression.weighted([], iouThreshold: 0.5), [])
    }

    func testClassAwareSuppressesWithinClassOnly() {
        let input = [detection(0.9, box(0, 0, 10, 10), classIndex: 0), detection(0.8, box(0, 0, 10, 10), classIndex: 1),
                     detection(0.7, box(1, 0, 11, 10), classIndex: 0)]
        let aware = NonMaxSuppression.apply(input, options: NMSOptions(algorithm: .hard, iouThreshold: 0.5, classAware: true))
        XCTAssertEqual(aware.map(\.score), [0.9, 0.8])
        let agnostic = NonMaxSuppression.apply(input, options: NMSOptions(algorithm: .hard, iouThreshold: 0.5, classAware: false))
        XCTAssertEqual(agnostic.map(\.score), [0.9])
        let capped = NonMaxSuppression.apply(input, options: NMSOptions(algorithm: .hard, iouThreshold: 0.99, maxDetections: 2))
        XCTAssertEqual(capped.map(\.score), [0.9, 0.8])
    }

    func testIoU() {
        XCTAssertEqual(box(0, 0, 10, 10).iou(box(5, 0, 15, 10)), 1.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(box(0, 0, 10, 10).iou(box(10, 0, 20, 10)), 0)
        XCTAssertEqual(box(0, 0, 10, 10).iou(box(0, 0, 10, 10)), 1)
        XCTAssertEqual(box(5, 5, 5, 5).iou(box(5, 5, 5, 5)), 0)
        XCTAssertEqual(box(.nan, 0, 1, 1).iou(box(0, 0, 1, 1)), 0)
    }
}
