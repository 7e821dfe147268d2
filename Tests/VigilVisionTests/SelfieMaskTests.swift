import VigilEngine
import VigilVision
import XCTest

final class SelfieMaskTests: XCTestCase {
    /// Frame 0 through selfie segmentation: the man (head and suit) is foreground, the car
    /// interior on the left and the window on the right are not.
    func testSegmentsThePersonInFrameZero() throws {
        let result = try VisionFixtures.decode("selfie_segmentation")
        let mask = try XCTUnwrap(result.masks.first)
        XCTAssertEqual(mask.label, "person")
        XCTAssertEqual([mask.width, mask.height], [176, 144])
        let fraction = Float(mask.area) / Float(176 * 144)
        XCTAssertTrue((0.2...0.7).contains(fraction), "foreground fraction \(fraction)")
        let pixels = mask.rowMajorPixels()
        func at(_ x: Int, _ y: Int) -> Bool { pixels[y * 176 + x] }
        XCTAssertTrue(at(88, 60), "face centre")
        XCTAssertTrue(at(100, 130), "suit")
        XCTAssertFalse(at(20, 70), "seat on the left")
        XCTAssertFalse(at(165, 40), "window on the right")
        let bounds = try XCTUnwrap(mask.boundingBox)
        XCTAssertTrue(bounds.x1 < 70 && bounds.x2 > 110 && bounds.y1 < 30, "\(bounds)")
    }

    func testRunLengthRoundTripIsColumnMajor() {
        // 3 wide, 2 high:  row 0: 0 1 1 / row 1: 0 0 1  → columns: [0,0] [1,0] [1,1]
        let pixels = [false, true, true, false, false, true]
        let mask = RunLengthMask(label: "m", width: 3, height: 2, rowMajor: pixels)
        XCTAssertEqual(mask.counts, [2, 1, 1, 2])
        XCTAssertEqual(mask.area, 3)
        XCTAssertEqual(mask.rowMajorPixels(), pixels)
        XCTAssertEqual(mask.boundingBox, box(1, 0, 3, 2))
        let full = RunLengthMask(label: "m", width: 2, height: 2, rowMajor: [true, true, true, true])
        XCTAssertEqual(full.counts, [0, 4])
        XCTAssertNil(RunLengthMask(label: "m", width: 2, height: 1, rowMajor: [false, false]).boundingBox)
    }

    /// A map that is 1 on its left half maps to the left half of a letterboxed source.
    func testMapsThroughTheTransform() throws {
        let size = 8
        var map = [Float](repeating: 0, count: size * size)
        for y in 0..<size { for x in 0..<size / 2 { map[y * size + x] = 1 } }
        // A 16×8 source letterboxed into 8×8: scale 0.5, 2 rows of padding top and bottom.
        let transform = InputTransform(sourceWidth: 16, sourceHeight: 8, scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 2)
        let mask = try SelfieMask(inputWidth: size, inputHeight: size).decode(probability: map, width: size, height: size, transform: transform)
        XCTAssertEqual([mask.width, mask.height], [16, 8])
        XCTAssertEqual(mask.boundingBox, box(0, 0, 8, 8))
        XCTAssertEqual(mask.area, 8 * 8)
    }
}
