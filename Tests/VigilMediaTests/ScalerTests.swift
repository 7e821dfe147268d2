import Foundation
import XCTest
import VigilMedia

final class ScalerTests: XCTestCase {
    /// A 40x20 blue picture with a green block over source pixels x 10..<20, y 5..<15.
    private func blockPicture() -> VideoFrame {
        var pixels = [UInt8](repeating: 0, count: 40 * 20 * 3)
        for y in 0..<20 {
            for x in 0..<40 {
                let inBlock = (10..<20).contains(x) && (5..<15).contains(y)
                pixels[(y * 40 + x) * 3 + (inBlock ? 1 : 2)] = 255
            }
        }
        return VideoFrame(rgb24: pixels, width: 40, height: 20)
    }

    /// Scales into a fresh array (tests only; the real path reuses one buffer).
    private func scaled(_ frame: VideoFrame, with scaler: Scaler) throws -> (values: [Float], box: Letterbox) {
        var values = [Float](repeating: .nan, count: scaler.outputCount)
        let box = try values.withUnsafeMutableBufferPointer { try scaler.scale(frame, into: $0) }
        return (values, box)
    }

    private func firstSampleFrame() throws -> VideoFrame {
        try XCTUnwrap(VideoFileSource(url: MediaFixtures.carphone).nextFrame())
    }

    func testLetterboxGeometryOfSample() {
        let box = Letterbox.fit(sourceWidth: 176, sourceHeight: 144, targetWidth: 320, targetHeight: 320)
        // 320/176 limits the scale; 144 × 320/176 = 261.8 rounds to 262, leaving 58 rows of padding.
        XCTAssertEqual(box.contentWidth, 320)
        XCTAssertEqual(box.contentHeight, 262)
        XCTAssertEqual(box.offsetX, 0)
        XCTAssertEqual(box.offsetY, 29)
        let centre = box.sourcePoint(x: 160, y: 29 + 131)
        XCTAssertEqual(centre.x, 88, accuracy: 1e-9)
        XCTAssertEqual(centre.y, 72, accuracy: 1e-9)
        let corner = box.sourcePoint(x: 320, y: 29 + 262)
        XCTAssertEqual(corner.x, 176, accuracy: 1e-9)
        XCTAssertEqual(corner.y, 144, accuracy: 1e-9)
        let back = box.targetPoint(x: 12.5, y: 100.25)
        let there = box.sourcePoint(x: back.x, y: back.y)
        XCTAssertEqual(there.x, 12.5, accuracy: 1e-9)
        XCTAssertEqual(there.y, 100.25, accuracy: 1e-9)
        XCTAssertFalse(box.containsContent(x: 0, y: 28))
        XCTAssertTrue(box.containsContent(x: 0, y: 29))
        XCTAssertFalse(box.containsContent(x: 319, y: 291))
    }

    func testLetterboxPutsAKnownPixelWhereTheGeometrySays() throws {
        let scaler = Scaler(width: 64, height: 64, mode: .letterbox(padding: 114), layout: .nhwc, normalization: .unitRange)
        let (values, box) = try scaled(blockPicture(), with: scaler)
        func pixel(_ x: Int, _ y: Int) -> [Float] { Array(values[(y * 64 + x) * 3 ..< (y * 64 + x) * 3 + 3]) }

        // Scale 1.6: the 40x20 picture becomes 64x32, centred 16 rows down.
        XCTAssertEqual(box, Letterbox.fit(sourceWidth: 40, sourceHeight: 20, targetWidth: 64, targetHeight: 64))
        XCTAssertEqual(box.offsetY, 16)
        XCTAssertEqual(box.contentHeight, 32)
        // The block's centre, source (15, 10), lands at target (24, 32) ...
        let target = box.targetPoint(x: 15, y: 10)
        XCTAssertEqual(target.x, 24, accuracy: 1e-9)
        XCTAssertEqual(target.y, 32, accuracy: 1e-9)
        // ... and that target pixel is green, its surroundings blue, the padding grey.
        XCTAssertEqual(pixel(24, 32), [0, 1, 0])
        XCTAssertEqual(pixel(50, 32), [0, 0, 1])
        XCTAssertEqual(pixel(24, 20), [0, 0, 1])
        let grey = Float(114) / 255
        for y in [0, 15, 48, 63] {
            // 114 × (1/255) and 114/255 differ in the last bit.
            for value in pixel(24, y) { XCTAssertEqual(value, grey, accuracy: 1e-6, "row \(y) is padding") }
        }
        // Mapping the green target pixel's centre back lands inside the source block.
        let source = box.sourcePoint(x: 24.5, y: 32.5)
        XCTAssertTrue((10..<20).contains(Int(source.x)) && (5..<15).contains(Int(source.y)), "\(source)")
        XCTAssertFalse(values.contains(where: \.isNaN), "every output element is written")
    }

    func testLetterboxedSampleMatchesSourcePixelsThroughTheMapping() throws {
        let frame = try firstSampleFrame()
        let rgb = try frame.rgb24()
        let scaler = Scaler(width: 320, height: 320, mode: .letterbox(padding: 0), layout: .nhwc, normalization: .none)
        let (values, box) = try scaled(frame, with: scaler)
        // Every 8th content pixel against the source pixel its centre maps to: a wrong
        // offset or scale (e.g. forgetting the 29 padding rows) would differ by far more.
        var totalDifference: Float = 0
        var samples = 0
        for y in stride(from: box.offsetY, to: box.offsetY + box.contentHeight, by: 8) {
            for x in stride(from: box.offsetX, to: box.offsetX + box.contentWidth, by: 8) {
                let source = box.sourcePoint(x: Double(x) + 0.5, y: Double(y) + 0.5)
                let sx = min(175, Int(source.x)), sy = min(143, Int(source.y))
                for channel in 0..<3 {
                    totalDifference += abs(values[(y * 320 + x) * 3 + channel] - Float(rgb[(sy * 176 + sx) * 3 + channel]))
                }
                samples += 3
            }
        }
        XCTAssertLessThan(totalDifference / Float(samples), 8, "mean absolute difference per channel")
        XCTAssertTrue(values[0 ..< 29 * 320 * 3].allSatisfy { $0 == 0 }, "top padding")
    }

    func testSameSizeStretchReproducesRGB24Exactly() throws {
        let frame = try firstSampleFrame()
        let scaler = Scaler(width: 176, height: 144, mode: .stretch, layout: .nhwc, normalization: .none)
        let (values, box) = try scaled(frame, with: scaler)
        XCTAssertEqual(box.scaleX, 1)
        XCTAssertEqual(values, try frame.rgb24().map(Float.init))
    }

    func testStretchFillsTheTarget() throws {
        let scaler = Scaler(width: 80, height: 60, mode: .stretch, layout: .nhwc, normalization: .unitRange)
        let (values, box) = try scaled(blockPicture(), with: scaler)
        XCTAssertEqual(box.offsetX, 0)
        XCTAssertEqual(box.offsetY, 0)
        XCTAssertEqual(box.scaleX, 2)
        XCTAssertEqual(box.scaleY, 3)
        // The block spans target x 20..<40, y 15..<45; its centre is green, the corners blue.
        XCTAssertEqual(Array(values[(30 * 80 + 30) * 3 ..< (30 * 80 + 30) * 3 + 3]), [0, 1, 0])
        XCTAssertEqual(Array(values[0..<3]), [0, 0, 1])
        XCTAssertEqual(Array(values[(59 * 80 + 79) * 3 ..< (59 * 80 + 79) * 3 + 3]), [0, 0, 1])
    }

    func testPlanarIsTheTransposeOfInterleaved() throws {
        let frame = try firstSampleFrame()
        let interleaved = try scaled(frame, with: Scaler(width: 96, height: 64, layout: .nhwc, normalization: .imageNet)).values
        let planar = try scaled(frame, with: Scaler(width: 96, height: 64, layout: .nchw, normalization: .imageNet)).values
        for channel in 0..<3 {
            for pixel in 0..<(96 * 64) {
                XCTAssertEqual(planar[channel * 96 * 64 + pixel], interleaved[pixel * 3 + channel])
            }
        }
    }

    func testMeanStdNormalisationAndBGROrder() throws {
        // A uniform (200, 100, 50) picture: every output pixel is the same normalised triple.
        let pixels = [[UInt8]](repeating: [200, 100, 50], count: 16 * 16).flatMap { $0 }
        let frame = VideoFrame(rgb24: pixels, width: 16, height: 16)
        let mean = SIMD3<Float>(0.4, 0.5, 0.6), std = SIMD3<Float>(0.2, 0.25, 0.5)
        let scaler = Scaler(width: 8, height: 8, mode: .stretch, layout: .nchw,
                            normalization: .meanStd(mean: mean, std: std), channelOrder: .bgr)
        let values = try scaled(frame, with: scaler).values
        let bgr: [Float] = [50, 100, 200]
        for channel in 0..<3 {
            let expected = (bgr[channel] / 255 - mean[channel]) / std[channel]
            for value in values[channel * 64 ..< (channel + 1) * 64] {
                XCTAssertEqual(value, expected, accuracy: 1e-5, "channel \(channel)")
            }
        }
    }

    func testOneScalerHandlesChangingSourceSizes() throws {
        // The SwsContext is rebuilt when the source changes; results must match a fresh scaler.
        let shared = Scaler(width: 64, height: 64)
        let sample = try firstSampleFrame()
        _ = try scaled(blockPicture(), with: shared)
        let reused = try scaled(sample, with: shared).values
        XCTAssertEqual(reused, try scaled(sample, with: Scaler(width: 64, height: 64)).values)
        XCTAssertEqual(try scaled(blockPicture(), with: shared).values,
                       try scaled(blockPicture(), with: Scaler(width: 64, height: 64)).values)
    }
}
