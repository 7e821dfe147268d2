import Foundation
import VigilEngine
import VigilVision
import XCTest
import _TestSupport

final class ModelMetadataTests: XCTestCase {
    static let sidecars = ["face_detection_short_range", "face_detection_full_range_sparse", "pose_detection",
                           "palm_detection_lite", "selfie_segmentation", "ppocr_det_v4"]

    /// Every shipped sidecar parses, names an existing model (shipped or fetched) and builds its head.
    func testEverySidecarLoadsAndBuildsItsHead() throws {
        var shortNames: Set<String> = []
        for name in Self.sidecars {
            let metadata = try VisionFixtures.metadata(name)
            XCTAssertEqual(metadata.name, name)
            XCTAssertTrue(shortNames.insert(metadata.shortName).inserted, "duplicate short name \(metadata.shortName)")
            XCTAssertNoThrow(try TaskHead(metadata: metadata), name)
            XCTAssertEqual(metadata.input.normalization.scale.count, 3)
            XCTAssertTrue(["NHWC", "NCHW"].contains(metadata.input.layout), name)
            let fixture = try ReferenceFixture.load(name)
            XCTAssertEqual(fixture.modelFile.hasSuffix(metadata.modelFile), true, "\(fixture.modelFile) vs \(metadata.modelFile)")
        }
        XCTAssertEqual(shortNames, ["face", "face_full", "person", "palm", "selfie", "text"])
    }

    func testNormalizationForms() throws {
        let face = try VisionFixtures.metadata("face_detection_short_range").input.normalization
        XCTAssertEqual(face.scale[0] * 255 + face.offset[0], 1, accuracy: 1e-6)
        XCTAssertEqual(face.offset[0], -1)
        let text = try VisionFixtures.metadata("ppocr_det_v4").input.normalization
        XCTAssertEqual(text.scale[0] * 255 * 0.485 + text.offset[0], 0, accuracy: 1e-5)
        XCTAssertEqual(text.scale[2], 1 / (255 * 0.225), accuracy: 1e-7)
    }

    func testDynamicInputSize() throws {
        let text = try VisionFixtures.metadata("ppocr_det_v4").input
        XCTAssertEqual(text.size(forSourceWidth: 176, sourceHeight: 144).width, 192)
        XCTAssertEqual(text.size(forSourceWidth: 176, sourceHeight: 144).height, 160)
        XCTAssertEqual(text.size(forSourceWidth: 1920, sourceHeight: 1080).width, 960)
        XCTAssertEqual(text.size(forSourceWidth: 1920, sourceHeight: 1080).height, 544)
        let face = try VisionFixtures.metadata("face_detection_short_range").input
        XCTAssertEqual(face.size(forSourceWidth: 1920, sourceHeight: 1080).width, 128)
    }

    /// Fetched models live in Models/cache/, their sidecars one level up.
    func testSidecarIsFoundForCachedModels() throws {
        let path = try ModelMetadata.sidecarPath(forModel: PackagePaths.path("Models/cache/pose_detection.tflite"))
        XCTAssertEqual(URL(fileURLWithPath: path).lastPathComponent, "pose_detection.json")
        XCTAssertEqual(try ModelMetadata.load(forModel: PackagePaths.path("Models/face_detection_short_range.tflite")).shortName, "face")
        XCTAssertThrowsError(try ModelMetadata.sidecarPath(forModel: "/nonexistent/model.onnx")) { error in
            XCTAssertTrue("\(error)".contains("no metadata sidecar"), "\(error)")
        }
    }

    /// The CLI's `--model face` lookup.
    func testFindByShortName() throws {
        let models = PackagePaths.path("Models")
        let face = try ModelMetadata.find("face", directory: models)
        XCTAssertEqual(face.metadata.name, "face_detection_short_range")
        XCTAssertEqual(face.modelPath, PackagePaths.path("Models/face_detection_short_range.tflite"))
        XCTAssertEqual(try ModelMetadata.find("ppocr_det_v4", directory: models).metadata.shortName, "text")
        if FileManager.default.fileExists(atPath: PackagePaths.path("Models/cache/pose_detection.tflite")) {
            XCTAssertEqual(try ModelMetadata.find("person", directory: models).modelPath, PackagePaths.path("Models/cache/pose_detection.tflite"))
        }
        XCTAssertThrowsError(try ModelMetadata.find("cat", directory: models)) { error in
            XCTAssertEqual("\(error)", "no model named 'cat'; available: face, face_full, palm, person, selfie, text")
        }
    }

    func testMalformedSidecarsSayWhatIsWrong() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.json").path
        try Data(#"{"name": "m", "short_name": "m"}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ModelMetadata.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("missing key 'model_file'"), "\(error)")
        }
        var face = try String(contentsOfFile: PackagePaths.path("Models/face_detection_short_range.json"), encoding: .utf8)
        face = face.replacingOccurrences(of: "\"num_boxes\": 896", with: "\"num_boxes\": 900")
        try Data(face.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TaskHead(metadata: ModelMetadata.load(path: path))) { error in
            XCTAssertTrue("\(error)".contains("896 anchors, num_boxes is 900"), "\(error)")
        }
        face = face.replacingOccurrences(of: "\"head\": \"blaze\"", with: "\"head\": \"magic\"")
        try Data(face.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TaskHead(metadata: ModelMetadata.load(path: path))) { error in
            XCTAssertEqual(error as? VisionError, .unsupportedHead(model: "face_detection_short_range", head: "magic"))
        }
    }

    func testInputTransformRoundTrip() {
        let t = InputTransform(sourceWidth: 640, sourceHeight: 480, scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 40)
        let (ix, iy) = t.inputPoint(x: 100, y: 200)
        XCTAssertEqual(ix, 50); XCTAssertEqual(iy, 140)
        let (sx, sy) = t.sourcePoint(x: ix, y: iy)
        XCTAssertEqual(sx, 100); XCTAssertEqual(sy, 200)
        XCTAssertEqual(t.sourceBox(box(-10, 0, 400, 400)), box(0, 0, 640, 480))
    }
}
