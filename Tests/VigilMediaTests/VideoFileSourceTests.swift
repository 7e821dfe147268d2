import Foundation
import XCTest
import VigilMedia

final class VideoFileSourceTests: XCTestCase {
    /// Decodes every remaining frame.
    private func decodeAll(_ source: VideoFileSource) throws -> [VideoFrame] {
        var frames: [VideoFrame] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        return frames
    }

    /// Asserts that `body` throws a `MediaError` and returns it.
    private func mediaError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> MediaError? {
        do {
            try body()
            XCTFail("expected a MediaError, nothing was thrown", file: file, line: line)
        } catch let error as MediaError {
            return error
        } catch {
            XCTFail("expected a MediaError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testSampleMetadata() throws {
        let source = try VideoFileSource(url: MediaFixtures.carphone)
        XCTAssertEqual(source.width, 176)
        XCTAssertEqual(source.height, 144)
        XCTAssertEqual(source.codecName, "h264")
        XCTAssertEqual(source.frameRate, Rational(30000, 1001))
        XCTAssertEqual(source.timeBase, Rational(1, 30000))
        XCTAssertEqual(try XCTUnwrap(source.duration), 4.004, accuracy: 1e-6)
        XCTAssertEqual(source.declaredFrameCount, MediaFixtures.carphoneFrameCount)
    }

    func testDecodesEveryFrameOfSampleInOrder() throws {
        let source = try VideoFileSource(url: MediaFixtures.carphone)
        let frames = try decodeAll(source)

        XCTAssertEqual(frames.count, MediaFixtures.carphoneFrameCount)
        if let ffprobe = MediaFixtures.executable("ffprobe") {
            let output = try MediaFixtures.run(ffprobe, [
                "-v", "error", "-select_streams", "v:0", "-count_frames",
                "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", MediaFixtures.carphone.path,
            ])
            XCTAssertEqual(frames.count, Int(output.trimmingCharacters(in: .whitespacesAndNewlines)), "ffprobe disagrees")
        }
        XCTAssertEqual(frames.map(\.index), Array(0..<frames.count))
        for frame in frames {
            XCTAssertEqual(frame.width, 176)
            XCTAssertEqual(frame.height, 144)
        }
        XCTAssertEqual(frames.first?.pts, 0)
        for (previous, next) in zip(frames, frames.dropFirst()) {
            XCTAssertGreaterThan(next.pts, previous.pts, "pts not increasing at frame \(next.index)")
            XCTAssertEqual(next.pts - previous.pts, 1001.0 / 30000.0, accuracy: 1e-9)
        }
        XCTAssertNil(try source.nextFrame(), "the end stays the end")
        XCTAssertEqual(source.recoveredErrorCount, 0)
    }

    func testThreadCountDoesNotChangeOutput() throws {
        let threaded = try decodeAll(VideoFileSource(url: MediaFixtures.carphone, threads: 0))
        let single = try decodeAll(VideoFileSource(url: MediaFixtures.carphone, threads: 1))
        XCTAssertEqual(threaded.map(\.pts), single.map(\.pts))
        XCTAssertEqual(try threaded[77].rgb24(), try single[77].rgb24())
    }

    func testRGB24IsAPicture() throws {
        let frame = try XCTUnwrap(VideoFileSource(url: MediaFixtures.carphone).nextFrame())
        XCTAssertEqual(frame.pixelFormatName, "yuv420p")
        let rgb = try frame.rgb24()
        XCTAssertEqual(rgb.count, 176 * 144 * 3)
        // A natural picture: mid-range mean and plenty of distinct values, not a flat fill.
        let mean = Double(rgb.reduce(0) { $0 + Int($1) }) / Double(rgb.count)
        XCTAssertTrue((40...215).contains(mean), "mean \(mean)")
        XCTAssertGreaterThan(Set(rgb).count, 100)
    }

    func testFramesAreReleased() throws {
        let statm = URL(fileURLWithPath: "/proc/self/statm")
        guard FileManager.default.fileExists(atPath: statm.path) else { throw XCTSkip("needs /proc/self/statm") }
        func residentBytes() throws -> Int {
            let fields = try String(contentsOf: statm, encoding: .utf8).split(separator: " ")
            return Int(fields[1])! * 4096
        }
        func decodePass() throws {
            let source = try VideoFileSource(url: MediaFixtures.carphone)
            while let frame = try source.nextFrame() { _ = frame }
        }
        for _ in 0..<3 { try decodePass() }  // warm up allocator and FFmpeg pools
        let before = try residentBytes()
        for _ in 0..<10 { try decodePass() }
        // A leaked AVFrame is ~38 KB of YUV, so 1200 leaked frames would add ~45 MB.
        let growth = try residentBytes() - before
        XCTAssertLessThan(growth, 12 << 20, "resident memory grew by \(growth >> 20) MB over 10 decodes")
    }

    func testMissingFileIsCannotOpen() throws {
        let path = MediaFixtures.packageRoot.appendingPathComponent("Samples/does-not-exist.mp4").path
        let error = mediaError { _ = try VideoFileSource(path: path) }
        guard case let .cannotOpen(errorPath, reason)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(errorPath, path)
        XCTAssertEqual(reason, "No such file or directory")
        XCTAssertTrue(error!.description.contains("does-not-exist.mp4"), error!.description)
        XCTAssertFalse(error!.description.contains("\n"))
    }

    func testTextFileNamedMP4IsCannotOpen() throws {
        let url = try MediaFixtures.scratchDirectory(for: self).appendingPathComponent("notes.mp4")
        try "This is a shopping list, not a video.\nmilk\neggs\n".write(to: url, atomically: true, encoding: .utf8)
        let error = mediaError { _ = try VideoFileSource(url: url) }
        guard case .cannotOpen? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(error!.description.contains("notes.mp4"), error!.description)
    }

    func testRandomBytesThrowAClearError() throws {
        let url = try MediaFixtures.scratchDirectory(for: self).appendingPathComponent("noise.mp4")
        var generator = SeededGenerator(seed: 42)
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        // Probing may reject the bytes at open, or (should some demuxer accept them)
        // decoding yields nothing; either way a MediaError naming the file, no crash or hang.
        let error = mediaError {
            let source = try VideoFileSource(url: url)
            _ = try decodeAll(source)
        }
        XCTAssertTrue(error?.description.contains("noise.mp4") ?? false, String(describing: error))
    }

    func testSampleTruncatedAtHalfLosesItsIndex() throws {
        // The committed sample stores its moov index after the pictures; cut in half it has
        // no index, so no frame is decodable and opening must say so.
        let url = try MediaFixtures.scratchDirectory(for: self).appendingPathComponent("carphone-half.mp4")
        let data = try Data(contentsOf: MediaFixtures.carphone)
        try data.prefix(data.count / 2).write(to: url)
        let error = mediaError { _ = try VideoFileSource(url: url) }
        guard case .cannotOpen? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(error!.description.contains("carphone-half.mp4"), error!.description)
    }

    func testTruncatedFileYieldsFramesBeforeTheDamage() throws {
        let directory = try MediaFixtures.scratchDirectory(for: self)
        let whole = try MediaFixtures.faststart(Data(contentsOf: MediaFixtures.carphone))
        let complete = directory.appendingPathComponent("carphone-faststart.mp4")
        try whole.write(to: complete)
        XCTAssertEqual(try decodeAll(VideoFileSource(url: complete)).count, MediaFixtures.carphoneFrameCount,
                       "the faststart rewrite must itself be a valid file")

        let truncated = directory.appendingPathComponent("carphone-faststart-half.mp4")
        try whole.prefix(whole.count / 2).write(to: truncated)
        let source = try VideoFileSource(url: truncated)
        let frames = try decodeAll(source)
        XCTAssertGreaterThan(frames.count, 0)
        XCTAssertLessThan(frames.count, MediaFixtures.carphoneFrameCount)
        XCTAssertEqual(frames.map(\.index), Array(0..<frames.count))
        XCTAssertNil(try source.nextFrame())
    }

    func testDamageMidFileCostsOnlyAFewFrames() throws {
        // 60 KB of noise over the middle of the pictures (the index at the end is intact).
        var data = try Data(contentsOf: MediaFixtures.carphone)
        var generator = SeededGenerator(seed: 7)
        for offset in 200_000..<260_000 { data[offset] = UInt8.random(in: 0...255, using: &generator) }
        let url = try MediaFixtures.scratchDirectory(for: self).appendingPathComponent("carphone-damaged.mp4")
        try data.write(to: url)

        let source = try VideoFileSource(url: url, threads: 1)
        let frames = try decodeAll(source)
        XCTAssertGreaterThan(frames.count, 90, "decoding resumes after the damage")
        XCTAssertLessThanOrEqual(frames.count, MediaFixtures.carphoneFrameCount)
        XCTAssertGreaterThan(source.recoveredErrorCount, 0)
        for (previous, next) in zip(frames, frames.dropFirst()) { XCTAssertGreaterThan(next.pts, previous.pts) }
    }

    func testAudioOnlyFileIsNoVideoStream() throws {
        guard let ffmpeg = MediaFixtures.executable("ffmpeg") else { throw XCTSkip("ffmpeg not installed") }
        let url = try MediaFixtures.scratchDirectory(for: self).appendingPathComponent("tone.m4a")
        try MediaFixtures.run(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", url.path])
        let error = mediaError { _ = try VideoFileSource(url: url) }
        XCTAssertEqual(error, .noVideoStream(path: url.path))
        XCTAssertTrue(error?.description.contains("tone.m4a") ?? false)
    }
}
