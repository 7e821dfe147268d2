import Foundation
import XCTest
import _TestSupport
@testable import vigil

/// Runs the built `vigil` binary on the shipped sample and on broken inputs, as a user would.
final class VigilCommandTests: XCTestCase {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    /// The `vigil` executable next to this test bundle (swift build --build-tests builds both).
    var binary: String {
        let testBundle = Bundle(for: VigilCommandTests.self).bundleURL.deletingLastPathComponent()
        let beside = testBundle.appendingPathComponent("vigil").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return PackagePaths.path(".build/debug/vigil")
    }

    func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = PackagePaths.root()
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read while it runs so a full pipe cannot stall it.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate(); XCTFail("vigil \(arguments) did not finish in \(timeout) s") }
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    func temporaryFile(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    func decodeLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    func testDetectFindsTheFaceInEveryFrameOfTheSample() throws {
        let result = try run(["detect", "Samples/carphone.mp4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try decodeLines(result.stdout)
        XCTAssertEqual(lines.count, 120, "one line per frame")
        var framesWithFace = 0
        for (index, line) in lines.enumerated() {
            XCTAssertEqual(line["frame"] as? Int, index)
            XCTAssertNotNil(line["pts"] as? Double)
            let latency = try XCTUnwrap(line["latency_ms"] as? [String: Double])
            for key in ["decode", "preprocess", "inference", "postprocess", "end_to_end"] { XCTAssertNotNil(latency[key], key) }
            let detections = try XCTUnwrap(line["detections"] as? [[String: Any]])
            for d in detections {
                let box = try XCTUnwrap(d["box"] as? [Double])
                XCTAssertEqual(box.count, 4)
                XCTAssert(box[0] >= 0 && box[1] >= 0 && box[2] <= 176 && box[3] <= 144 && box[0] < box[2] && box[1] < box[3], "box \(box) outside the 176x144 frame")
            }
            if detections.contains(where: { ($0["label"] as? String) == "face" && (($0["score"] as? Double) ?? 0) > 0.5 }) { framesWithFace += 1 }
        }
        // The man's face is visible throughout the clip.
        XCTAssertGreaterThanOrEqual(framesWithFace, 110)
        XCTAssertTrue(result.stderr.contains("120 frames"), result.stderr)
        XCTAssertTrue(result.stderr.contains("p99"), "latency summary missing: \(result.stderr)")
    }

    /// `vigil detect` end to end against MediaPipe's own face detection solution (its
    /// preprocessing, inference, anchor decoding and weighted NMS) on all 120 frames of the
    /// sample, recorded by scripts/make_detection_reference.py: the same faces in every frame,
    /// boxes within IoU 0.9 (0.95 on average), scores within 0.03. What differs is the resize:
    /// fed Vigil's letterboxed 128×128 tensor instead, MediaPipe returns Vigil's box to 0.1 px
    /// (frame 0: 50.37 against 50.4 px wide); from the 176×144 frame its own resize gives boxes
    /// about 3% smaller (mean IoU 0.968, lowest 0.920, largest score difference 0.024).
    func testDetectMatchesMediaPipeOnEveryFrame() throws {
        let result = try run(["detect", "Samples/carphone.mp4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try decodeLines(result.stdout)
        let reference = try decodeLines(String(contentsOfFile: PackagePaths.path("Tests/VigilCLITests/Fixtures/carphone_face_mediapipe.jsonl"),
                                               encoding: .utf8))
        XCTAssertEqual(reference.count, 120)
        XCTAssertEqual(lines.count, reference.count, "one line per frame")
        func boxes(_ line: [String: Any]) throws -> [(score: Double, box: [Double])] {
            try XCTUnwrap(line["detections"] as? [[String: Any]]).map { d in
                (try XCTUnwrap(d["score"] as? Double), try XCTUnwrap(d["box"] as? [Double]))
            }
        }
        func iou(_ a: [Double], _ b: [Double]) -> Double {
            let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
            let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
            return union > 0 ? w * h / union : 0
        }
        var overlaps: [Double] = []
        for (index, (line, expected)) in zip(lines, reference).enumerated() {
            let found = try boxes(line), wanted = try boxes(expected)
            XCTAssertEqual(found.count, wanted.count, "frame \(index): \(found) against MediaPipe's \(wanted)")
            for want in wanted {
                guard let match = found.max(by: { iou($0.box, want.box) < iou($1.box, want.box) }) else { continue }
                let overlap = iou(match.box, want.box)
                overlaps.append(overlap)
                XCTAssertGreaterThanOrEqual(overlap, 0.9, "frame \(index): \(match.box) against MediaPipe's \(want.box)")
                XCTAssertEqual(match.score, want.score, accuracy: 0.03, "frame \(index)")
            }
        }
        XCTAssertEqual(overlaps.count, 120, "MediaPipe finds one face in each frame")
        XCTAssertGreaterThanOrEqual(overlaps.reduce(0, +) / Double(max(1, overlaps.count)), 0.95, "mean IoU")
    }

    /// Files default to frame parallelism; `--no-frame-parallel` shares each frame's layers
    /// between the threads instead. Both write the same detections, frame for frame, and so
    /// does a one-thread decoder (`--decoder-threads 1`, no frame threading in FFmpeg).
    func testFrameParallelLayerParallelAndOneDecoderThreadAgree() throws {
        func detections(_ extra: [String]) throws -> (lines: [String], stderr: String) {
            let result = try run(["detect", "Samples/carphone.mp4", "--max-frames", "30", "--threads", "2"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            // Everything but the timings, which differ from run to run.
            let lines = try decodeLines(result.stdout).map { line -> String in
                var line = line
                line["latency_ms"] = nil
                return String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
            }
            return (lines, result.stderr)
        }
        let frames = try detections([]), layers = try detections(["--no-frame-parallel"])
        let oneDecoderThread = try detections(["--decoder-threads", "1"])
        XCTAssertTrue(frames.stderr.contains("inference: 2 frames at once, 1 thread each"), frames.stderr)
        XCTAssertTrue(layers.stderr.contains("inference: 1 frame at a time, 2 threads"), layers.stderr)
        XCTAssertEqual(frames.lines.count, 30)
        XCTAssertEqual(frames.lines, layers.lines)
        XCTAssertEqual(frames.lines, oneDecoderThread.lines)
        XCTAssertNotEqual(try run(["detect", "Samples/carphone.mp4", "--decoder-threads", "-1"]).status, 0)
    }

    func testMaxFramesAndOutputFile() throws {
        let path = temporaryFile("out.jsonl")
        let result = try run(["detect", "Samples/carphone.mp4", "--max-frames", "7", "--output", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(try decodeLines(try String(contentsOfFile: path, encoding: .utf8)).count, 7)
    }

    func testSnapshotsWriteOneAnnotatedJPEGPerFrame() throws {
        let directory = (temporaryFile("unused") as NSString).deletingLastPathComponent + "/snaps/nested"
        let result = try run(["detect", "Samples/carphone.mp4", "--max-frames", "3", "--snapshots", directory])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try decodeLines(result.stdout).count, 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        XCTAssertEqual(files, ["frame_000000.jpg", "frame_000001.jpg", "frame_000002.jpg"])
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xD8], name)
            XCTAssertEqual(Array(bytes.suffix(2)), [0xFF, 0xD9], name)
        }
    }

    func testSnapshotsIntoAFileFailsCleanly() throws {
        let path = temporaryFile("plain.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        let result = try run(["detect", "Samples/carphone.mp4", "--max-frames", "1", "--snapshots", path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--snapshots"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
    }

    func assertCleanFailure(_ arguments: [String], mentions needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertNotEqual(result.status, 0, "expected failure", file: file, line: line)
        let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "one-line error expected, got: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(needle), "error should mention \(needle): \(result.stderr)", file: file, line: line)
    }

    func testMissingFile() throws {
        try assertCleanFailure(["detect", "/nonexistent/clip.mp4"], mentions: "/nonexistent/clip.mp4")
    }

    func testTextFileNamedMP4() throws {
        let path = temporaryFile("notes.mp4")
        try "this is not a video\n".write(toFile: path, atomically: true, encoding: .utf8)
        try assertCleanFailure(["detect", path], mentions: "notes.mp4")
    }

    func testRandomBytes() throws {
        let path = temporaryFile("noise.mp4")
        var generator = SeededGenerator(seed: 7)
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: path))
        try assertCleanFailure(["detect", path], mentions: "noise.mp4")
    }

    func testAudioOnlyFile() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        let path = temporaryFile("tone.m4a")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", path]
        try ffmpeg.run(); ffmpeg.waitUntilExit()
        try assertCleanFailure(["detect", path], mentions: "tone.m4a")
    }

    /// A file cut in half: the frames before the damage are written, then a clean end.
    func testTruncatedFileKeepsFramesBeforeTheDamage() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        // The sample keeps its index at the end; move it to the front so a cut file stays readable.
        let whole = temporaryFile("faststart.mp4")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = ["-v", "error", "-i", PackagePaths.path("Samples/carphone.mp4"), "-c", "copy", "-movflags", "+faststart", whole]
        try ffmpeg.run(); ffmpeg.waitUntilExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = temporaryFile("truncated.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        let result = try run(["detect", cut])
        let lines = try decodeLines(result.stdout)
        XCTAssertGreaterThan(lines.count, 20, result.stderr)
        XCTAssertLessThan(lines.count, 120)
    }

    func testCutWithIndexAtTheEndFailsClearly() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.path("Samples/carphone.mp4")))
        let cut = temporaryFile("cut.mp4")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        try assertCleanFailure(["detect", cut], mentions: "cut.mp4")
    }

    func testUnknownModelNameListsTheKnownOnes() throws {
        try assertCleanFailure(["detect", "Samples/carphone.mp4", "--model", "unicorn"], mentions: "unicorn")
    }

    func testMalformedModelFile() throws {
        let path = temporaryFile("broken.onnx")
        try Data("definitely not protobuf".utf8).write(to: URL(fileURLWithPath: path))
        let result = try run(["infer", path, "--input", "Tests/VigilEngineTests/Fixtures/ppocr_det_v4/input.npy", "--output", temporaryFile("o.npy")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("ONNX"), result.stderr)
    }

    func testBenchStepsListEveryConvolutionWithItsShape() throws {
        let result = try run(["bench", "Models/face_detection_short_range.tflite", "--threads", "1", "--runs", "2", "--warmup", "1",
                              "--steps", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try XCTUnwrap(report["steps"] as? [[String: Any]])
        let convolutions = steps.compactMap { $0["conv"] as? [String: Any] }
        XCTAssertGreaterThan(convolutions.count, 20, "the face detector's convolutions")
        let stem = try XCTUnwrap(convolutions.first)
        // The stem: 128×128×3 → 64×64×24, 5×5 stride 2, TFLite SAME padding (1 before, 2 after).
        XCTAssertEqual([stem["h"], stem["cin"], stem["oh"], stem["cout"], stem["kh"], stem["sh"], stem["pt"], stem["pb"]] as? [Int],
                       [128, 3, 64, 24, 5, 2, 1, 2])
        XCTAssertTrue(steps.allSatisfy { ($0["ms"] as? Double).map { $0 >= 0 } ?? false })
    }

    func testTrackKeepsOneIdentityForTheFaceInTheSample() throws {
        let result = try run(["track", "Samples/carphone.mp4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try decodeLines(result.stdout)
        XCTAssertEqual(lines.count, 120)
        var ids = Set<Int>(), framesWithTrack = 0
        for line in lines {
            let captured = try XCTUnwrap(line["captured_s"] as? Double), emitted = try XCTUnwrap(line["emitted_s"] as? Double)
            XCTAssertGreaterThanOrEqual(emitted, captured)
            let detections = try XCTUnwrap(line["detections"] as? [[String: Any]])
            if !detections.isEmpty { framesWithTrack += 1 }
            for d in detections {
                ids.insert(try XCTUnwrap(d["id"] as? Int))
                XCTAssertEqual((d["velocity"] as? [Double])?.count, 2)
            }
        }
        XCTAssertEqual(ids, [1], "the one face of the sample keeps one identity")
        XCTAssertGreaterThanOrEqual(framesWithTrack, 110)
    }

    func testTrackMOTDetectionsThroughTheTracker() throws {
        // Two people crossing, MOTChallenge detection rows; frame 12 has no detections at all.
        var rows: [String] = []
        for f in 1...40 where f != 12 {
            rows.append("\(f),-1,\(100 + 8 * f),300,60,120,0.9,-1,-1,-1")
            rows.append("\(f),-1,\(420 - 8 * f),310,60,120,0.8,-1,-1,-1")
        }
        let detections = temporaryFile("det.txt"), output = temporaryFile("out.txt")
        try (rows.joined(separator: "\n") + "\n").write(toFile: detections, atomically: true, encoding: .utf8)
        let result = try run(["track", "--mot-detections", detections, "--mot-output", output, "--delay-ms", "100", "--forecast"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(written.count, 78, "two tracks in each of the 39 frames with detections")
        let ids = Set(written.map { Int($0.split(separator: ",")[1])! })
        XCTAssertEqual(ids, [1, 2])
        // Object 1 (the one starting on the left) moves right at 240 px/s, so after the crossing it is
        // still the right-moving one, and its forecast box is 100 ms (24 px) ahead of its detection.
        let last = written.filter { $0.hasPrefix("40,1,") }.first.map { $0.split(separator: ",").map { Double($0)! } }
        let x = try XCTUnwrap(last)[2]
        XCTAssertEqual(x, 100 + 8 * 40 + 24, accuracy: 3)
    }

    func testForecastIsOnByDefaultForLiveStreamsOnly() {
        for live in ["rtsp://camera.local:8554/stream", "RTSP://10.0.0.2/live", "rtmp://host/app/key", "srt://host:9000", "udp://239.0.0.1:1234"] {
            XCTAssertTrue(isLiveStream(live), live)
        }
        for file in ["Samples/carphone.mp4", "/videos/rtsp.mp4", "file:///videos/a.mp4", "https://example.com/a.mp4", "rtsp"] {
            XCTAssertFalse(isLiveStream(file), file)
        }
    }

    func testTrackNeedsAnInputAndRejectsMalformedMOTRows() throws {
        let usage = try run(["track"])  // a usage error: the message, then argument-parser's usage lines
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.stderr.hasPrefix("Error: give a video file, or --mot-detections FILE"), usage.stderr)
        let detections = temporaryFile("bad.txt")
        try "1,-1,10,20,30,40,0.9\n2,-1,ten,20,30,40,0.9\n".write(toFile: detections, atomically: true, encoding: .utf8)
        try assertCleanFailure(["track", "--mot-detections", detections], mentions: "bad.txt:2")
    }
}
