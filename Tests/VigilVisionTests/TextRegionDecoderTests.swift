import VigilEngine
import VigilVision
import XCTest

final class TextRegionDecoderTests: XCTestCase {
    /// The ppocr fixture: frame 0 with a white caption box at (25, 121, 126×20) holding
    /// "VIGIL 2024" in black at (28, 124, 120×14), stretched to 160×128.
    func testFindsTheBurntInCaption() throws {
        let result = try VisionFixtures.decode("ppocr_det_v4")
        let caption = Box(x1: 25, y1: 121, x2: 25 + 126, y2: 121 + 20)
        let text = Box(x1: 28, y1: 124, x2: 28 + 120, y2: 124 + 14)
        // DB splits the caption at the word gap ("VIGIL" | "2024"); every box must lie on it.
        XCTAssertFalse(result.detections.isEmpty)
        for detection in result.detections {
            XCTAssertEqual(detection.label, "text")
            XCTAssertGreaterThanOrEqual(detection.score, 0.5)
            XCTAssertGreaterThan(overlap(detection.box, caption) / detection.box.area, 0.6, "\(detection.box) is off the caption")
        }
        XCTAssertTrue(result.detections.contains { $0.box.iou(caption) > 0.3 }, "\(result.detections)")
        // Together the unclipped boxes cover the lettering.
        var covered = 0
        for y in Int(text.y1)..<Int(text.y2) {
            for x in Int(text.x1)..<Int(text.x2) {
                let centre = (Float(x) + 0.5, Float(y) + 0.5)
                if result.detections.contains(where: { $0.box.x1 <= centre.0 && centre.0 <= $0.box.x2 && $0.box.y1 <= centre.1 && centre.1 <= $0.box.y2 }) {
                    covered += 1
                }
            }
        }
        XCTAssertGreaterThan(Float(covered) / text.area, 0.85, "text coverage")
    }

    func overlap(_ a: Box, _ b: Box) -> Float {
        Box(x1: max(a.x1, b.x1), y1: max(a.y1, b.y1), x2: min(a.x2, b.x2), y2: min(a.y2, b.y2)).area
    }

    /// Two separate blobs, one too faint, one too thin; boxes grow by A·r/L per side.
    func testSyntheticMap() throws {
        let width = 40, height = 20
        var map = [Float](repeating: 0.05, count: width * height)
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ value: Float) {
            for y in y0..<y1 { for x in x0..<x1 { map[y * width + x] = value } }
        }
        fill(2, 2, 12, 6, 0.9)      // 10×4 strong text
        fill(20, 2, 30, 8, 0.35)    // above the binary threshold, mean below box threshold
        fill(2, 12, 30, 14, 0.9)    // 28×2: thinner than min_size 3
        let decoder = TextRegionDecoder(unclipRatio: 1.5)
        let regions = try decoder.regions(probability: map, width: width, height: height)
        XCTAssertEqual(regions.count, 1, "\(regions)")
        let d: Float = 10 * 4 * 1.5 / 28
        assertBox(regions[0].box, box(0, 0, 12 + d, 6 + d), accuracy: 1e-4)  // 2 - d < 0: clipped to the map
        XCTAssertEqual(regions[0].score, 0.9, accuracy: 1e-6)
    }

    /// Diagonal neighbours join one region (8-connectivity).
    func testDiagonalPixelsFormOneRegion() throws {
        let width = 8, height = 8
        var map = [Float](repeating: 0, count: width * height)
        for i in 0..<6 { map[(i + 1) * width + i + 1] = 1; map[(i + 1) * width + i] = 1; map[i * width + i + 1] = 1 }
        let regions = try TextRegionDecoder(unclipRatio: 0).regions(probability: map, width: width, height: height)
        XCTAssertEqual(regions.count, 1)
    }

    func testEmptyAndNaNMaps() throws {
        let decoder = TextRegionDecoder()
        let nan = [Float](repeating: .nan, count: 16)
        XCTAssertEqual(try decoder.regions(probability: nan, width: 4, height: 4), [])
        XCTAssertThrowsError(try decoder.regions(probability: nan, width: 5, height: 4))
    }
}
