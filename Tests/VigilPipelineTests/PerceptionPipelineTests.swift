import Foundation
import VigilEngine
import VigilMedia
import VigilPipeline
import VigilVision
import XCTest
import _TestSupport

/// The real thing: carphone.mp4 → Scaler → engine → task head → JSON Lines file.
final class PerceptionPipelineTests: XCTestCase {
    func scratchFile(_ name: String) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString)-\(name)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func readLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON object: \($0)")
        }
    }

    /// PP-OCR text detection on six frames: one valid JSON line per frame, in order, with
    /// every stage's latency, end-to-end covering them all.
    func testTextPipelineWritesOneLinePerFrame() throws {
        let modelPath = PackagePaths.path("Models/ppocr_det_v4.onnx")
        let metadata = try ModelMetadata.load(forModel: modelPath)
        let video = try VideoFileSource(path: PackagePaths.path("Samples/carphone.mp4"))
        let shape = PerceptionPipeline.inputShape(for: metadata, sourceWidth: video.width, sourceHeight: video.height)
        XCTAssertEqual(shape, [1, 3, 160, 192])
        let session = try InferenceSession(graph: ONNXImporter.load(path: modelPath), inputShapes: ["x": shape], threads: 2)
        let output = scratchFile("text.jsonl")
        let report = try PerceptionPipeline.make(video: video, metadata: metadata, session: session, maxFrames: 6)
            .run(into: JSONLinesWriter(path: output))
        XCTAssertEqual(report.produced, 6)
        XCTAssertEqual(report.delivered, 6)
        let lines = try readLines(output)
        XCTAssertEqual(lines.map { $0["frame"] as? Int }, [0, 1, 2, 3, 4, 5])
        let raw = try String(contentsOfFile: output, encoding: .utf8)
        XCTAssertTrue(raw.hasPrefix(#"{"frame":0,"pts":0.0,"detections":["#), String(raw.prefix(80)))
        for line in lines {
            let latency = try XCTUnwrap(line["latency_ms"] as? [String: Double])
            XCTAssertEqual(Set(latency.keys), ["decode", "preprocess", "inference", "postprocess", "end_to_end"])
            let stages = ["decode", "preprocess", "inference", "postprocess"].compactMap { latency[$0] }.reduce(0, +)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(latency["end_to_end"]) + 0.01, stages)
            XCTAssertNil(line["masks"], "detection models write no masks key")
        }
        XCTAssertEqual(report.latency.stages, ["decode", "preprocess", "inference", "postprocess", "end_to_end"])
    }

    /// Short-range face detection on frame 0, letterboxed as MediaPipe does: the man's face.
    func testFacePipelineFindsTheFace() throws {
        let modelPath = PackagePaths.path("Models/face_detection_short_range.tflite")
        let metadata = try ModelMetadata.load(forModel: modelPath)
        let graph = try TFLiteImporter.load(path: modelPath)
        let session = try InferenceSession(graph: graph, threads: 2)
        var results = CollectingSink<FrameResult>()
        try PerceptionPipeline.make(video: try VideoFileSource(path: PackagePaths.path("Samples/carphone.mp4")),
                                    metadata: metadata, session: session, maxFrames: 3)
            .run(into: &results)
        XCTAssertEqual(results.items.count, 3)
        let faces = results.items[0].detections
        XCTAssertEqual(faces.count, 1, "\(faces)")
        let face = try XCTUnwrap(faces.first)
        XCTAssertEqual(face.box.centerX, 88, accuracy: 12, "\(face.box)")
        XCTAssertEqual(face.box.centerY, 68, accuracy: 15, "\(face.box)")
    }

    /// Frame parallelism: two one-thread sessions, each on its own frames, give exactly the
    /// results of one session, frame for frame, in order.
    func testTwoSessionsGiveTheResultsOfOne() throws {
        let modelPath = PackagePaths.path("Models/face_detection_short_range.tflite")
        let metadata = try ModelMetadata.load(forModel: modelPath)
        let graph = try TFLiteImporter.load(path: modelPath)
        func detect(sessions count: Int) throws -> [FrameResult] {
            let sessions = try (0..<count).map { _ in try InferenceSession(graph: graph, threads: 1) }
            var results = CollectingSink<FrameResult>()
            try PerceptionPipeline.make(video: try VideoFileSource(path: PackagePaths.path("Samples/carphone.mp4")),
                                        metadata: metadata, sessions: sessions, maxFrames: 40)
                .run(into: &results)
            return results.items
        }
        let one = try detect(sessions: 1), two = try detect(sessions: 2)
        XCTAssertEqual(one.map(\.frameIndex), Array(0..<40))
        XCTAssertEqual(two, one)
        XCTAssertGreaterThanOrEqual(two.filter { !$0.detections.isEmpty }.count, 35, "the face is found")
    }
}
