import VigilVision
import XCTest

final class SSDAnchorsTests: XCTestCase {
    /// The anchor count of every shipped Blaze sidecar equals the model's output rows.
    func testSidecarAnchorCountsMatchModelOutputs() throws {
        let expected = ["face_detection_short_range": 896, "face_detection_full_range_sparse": 2304,
                        "pose_detection": 2254, "palm_detection_lite": 2016]
        for (name, count) in expected {
            let metadata = try VisionFixtures.metadata(name)
            let anchors = try SSDAnchors.generate(try XCTUnwrap(metadata.anchors))
            XCTAssertEqual(anchors.count, count, name)
            XCTAssertEqual(metadata.blaze?.numBoxes, count, name)
            let fixture = try VisionFixtures.outputs(name)
            XCTAssertTrue(fixture.values.allSatisfy { $0.shape[1] == count }, "\(name): fixture rows \(fixture.mapValues(\.shape))")
        }
    }

    /// Short-range face layout: a 16×16 grid with 2 anchors per cell, then one 8×8 grid shared
    /// by three stride-16 layers with 2 anchors each (6 per cell).
    func testFaceShortRangeLayout() throws {
        let anchors = try SSDAnchors.generate(try XCTUnwrap(VisionFixtures.metadata("face_detection_short_range").anchors))
        XCTAssertEqual(anchors[0], Anchor(centerX: 0.5 / 16, centerY: 0.5 / 16, width: 1, height: 1))
        XCTAssertEqual(anchors[1], anchors[0])
        XCTAssertEqual(anchors[2].centerX, 1.5 / 16, accuracy: 1e-6)
        XCTAssertEqual(anchors[32].centerY, 1.5 / 16, accuracy: 1e-6)
        XCTAssertEqual(anchors[511].centerX, 15.5 / 16, accuracy: 1e-6)
        XCTAssertEqual(anchors[512], Anchor(centerX: 0.5 / 8, centerY: 0.5 / 8, width: 1, height: 1))
        XCTAssertEqual(anchors[517], anchors[512])
        XCTAssertEqual(anchors[518].centerX, 1.5 / 8, accuracy: 1e-6)
        XCTAssertEqual(anchors[895].centerX, 7.5 / 8, accuracy: 1e-6)
        XCTAssertEqual(anchors[895].centerY, 7.5 / 8, accuracy: 1e-6)
    }

    /// Without fixed sizes, anchors carry the SSD scale schedule: linear from min to max,
    /// plus the interpolated anchor at the geometric mean with the next layer (1 after the last).
    func testScalesAndAspectRatios() throws {
        let options = SSDAnchorOptions(inputWidth: 64, inputHeight: 32, minScale: 0.2, maxScale: 0.8, numLayers: 2,
                                       strides: [16, 32], aspectRatios: [1, 4])
        let anchors = try SSDAnchors.generate(options)
        // Layer 0: 4×2 cells × (2 ratios + 1 interpolated); layer 1: 2×1 cells × 3.
        XCTAssertEqual(anchors.count, 4 * 2 * 3 + 2 * 1 * 3)
        XCTAssertEqual(anchors[0].width, 0.2, accuracy: 1e-6)
        XCTAssertEqual(anchors[0].height, 0.2, accuracy: 1e-6)
        XCTAssertEqual(anchors[1].width, 0.4, accuracy: 1e-6)   // 0.2 × √4
        XCTAssertEqual(anchors[1].height, 0.1, accuracy: 1e-6)  // 0.2 / √4
        XCTAssertEqual(anchors[2].width, (0.2 * 0.8 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(anchors[3].centerX, 1.5 / 4, accuracy: 1e-6)
        XCTAssertEqual(anchors[24].width, 0.8, accuracy: 1e-6)
        XCTAssertEqual(anchors[26].width, (0.8 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(anchors[24].centerY, 0.5, accuracy: 1e-6)
    }

    func testReducedLowestLayerUsesThreeFixedShapes() throws {
        let options = SSDAnchorOptions(inputWidth: 32, inputHeight: 32, minScale: 0.2, maxScale: 0.9, numLayers: 2,
                                       strides: [16, 32], aspectRatios: [1, 2, 0.5, 3],
                                       reduceBoxesInLowestLayer: true, interpolatedScaleAspectRatio: 0)
        let anchors = try SSDAnchors.generate(options)
        XCTAssertEqual(anchors.count, 2 * 2 * 3 + 1 * 4)
        XCTAssertEqual(anchors[0].width, 0.1, accuracy: 1e-6)
        XCTAssertEqual(anchors[1].width, 0.2 * (2 as Float).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(anchors[2].height, 0.2 * (2 as Float).squareRoot(), accuracy: 1e-6)
    }

    func testExplicitFeatureMapsOverrideStrides() throws {
        var options = SSDAnchorOptions(inputWidth: 100, inputHeight: 100, minScale: 0.1, maxScale: 0.5, numLayers: 1,
                                       strides: [8], interpolatedScaleAspectRatio: 0)
        options.featureMapWidths = [3]
        options.featureMapHeights = [2]
        XCTAssertEqual(try SSDAnchors.generate(options).count, 6)
    }

    func testInconsistentOptionsThrow() {
        let options = SSDAnchorOptions(inputWidth: 128, inputHeight: 128, minScale: 0.1, maxScale: 0.7, numLayers: 3, strides: [8, 16])
        XCTAssertThrowsError(try SSDAnchors.generate(options)) { error in
            XCTAssertTrue("\(error)".contains("strides has 2 entries, num_layers is 3"), "\(error)")
        }
    }
}
