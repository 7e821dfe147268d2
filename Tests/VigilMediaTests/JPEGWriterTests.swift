import Foundation
import XCTest
@testable import VigilMedia

final class JPEGWriterTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-jpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A gradient, so the encoder has real content.
    func pattern(width: Int, height: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8(x * 255 / max(width - 1, 1)); pixels[i + 1] = UInt8(y * 255 / max(height - 1, 1)); pixels[i + 2] = 128
            }
        }
        return pixels
    }

    func testWritesAJPEGThatReadsBackWithTheRightSize() throws {
        let (width, height) = (97, 61)  // odd sizes: not multiples of the 8/16-pixel MCU
        var pixels = pattern(width: width, height: height)
        JPEGWriter.drawBox(on: &pixels, width: width, height: height, x1: 10, y1: 10, x2: 50, y2: 40)
        let path = try temporaryDirectory().appendingPathComponent("out.jpg").path
        try JPEGWriter.write(rgb24: pixels, width: width, height: height, quality: 85, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(bytes.count, 4)
        XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xD8], "SOI marker")
        XCTAssertEqual(Array(bytes.suffix(2)), [0xFF, 0xD9], "EOI marker")

        // Decode it back with FFmpeg (our own decoder) to check size and content.
        let source = try VideoFileSource(path: path)
        XCTAssertEqual(source.width, width)
        XCTAssertEqual(source.height, height)

        guard let ffprobe = ["/usr/bin/ffprobe", "/usr/local/bin/ffprobe"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffprobe)
        process.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,codec_name", "-of", "csv=p=0", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "mjpeg,\(width),\(height)")
    }

    func testEncodedPixelsSurviveRoundTrip() throws {
        let (width, height) = (64, 48)
        var pixels = [UInt8](repeating: 40, count: width * height * 3)
        JPEGWriter.drawBox(on: &pixels, width: width, height: height, x1: 8, y1: 8, x2: 55, y2: 39, color: (255, 0, 255), thickness: 2)
        let path = try temporaryDirectory().appendingPathComponent("box.jpg").path
        try JPEGWriter.write(rgb24: pixels, width: width, height: height, quality: 95, to: path)
        let source = try VideoFileSource(path: path)
        let frame = try XCTUnwrap(try source.nextFrame())
        let decoded = try frame.rgb24()
        func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = (y * width + x) * 3
            return (Int(decoded[i]), Int(decoded[i + 1]), Int(decoded[i + 2]))
        }
        let onEdge = pixel(30, 8), inside = pixel(30, 24)
        XCTAssertGreaterThan(onEdge.0, 150, "box edge should be magenta, got \(onEdge)")
        XCTAssertLessThan(onEdge.1, 100, "box edge should be magenta, got \(onEdge)")
        XCTAssertLessThan(abs(inside.0 - 40) + abs(inside.1 - 40) + abs(inside.2 - 40), 30, "inside untouched, got \(inside)")
    }

    func testWritingIntoAMissingDirectoryThrows() throws {
        let path = try temporaryDirectory().appendingPathComponent("no/such/dir/out.jpg").path
        XCTAssertThrowsError(try JPEGWriter.write(rgb24: pattern(width: 8, height: 8), width: 8, height: 8, to: path)) { error in
            guard case let .cannotWriteImage(p, reason)? = error as? MediaError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.contains("No such file"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testRejectsBadSizesAndBuffers() throws {
        let path = try temporaryDirectory().appendingPathComponent("bad.jpg").path
        XCTAssertThrowsError(try JPEGWriter.write(rgb24: [], width: 0, height: 4, to: path)) { XCTAssertTrue($0 is MediaError) }
        XCTAssertThrowsError(try JPEGWriter.write(rgb24: [UInt8](repeating: 0, count: 10), width: 4, height: 4, to: path)) { XCTAssertTrue($0 is MediaError) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testDrawBoxClipsToTheImage() {
        let (width, height) = (10, 6)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        // Partly outside on every side: only the parts inside are drawn, nothing traps.
        JPEGWriter.drawBox(on: &pixels, width: width, height: height, x1: -5, y1: -5, x2: 20, y2: 20, color: (1, 2, 3))
        XCTAssertEqual(pixels.count, width * height * 3)
        XCTAssertTrue(pixels.allSatisfy { $0 == 0 }, "all four edges lie outside the image")
        JPEGWriter.drawBox(on: &pixels, width: width, height: height, x1: -5, y1: 1, x2: 4, y2: 4, color: (9, 9, 9), thickness: 1)
        XCTAssertEqual(pixels[(1 * width + 0) * 3], 9, "top edge, clipped on the left")
        XCTAssertEqual(pixels[(4 * width + 4) * 3], 9, "bottom-right corner")
        XCTAssertEqual(pixels[(2 * width + 2) * 3], 0, "inside stays empty")
        JPEGWriter.drawBox(on: &pixels, width: width, height: height, x1: 100, y1: 100, x2: 200, y2: 200)  // wholly outside
    }
}
