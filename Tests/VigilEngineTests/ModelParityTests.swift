import XCTest
import VigilEngine
import _TestSupport

/// Whole-model parity: every output of every reference model, run by Vigil's planned kernels
/// and by the reference interpreter, against the outputs onnxruntime or the TFLite interpreter
/// produced on the same real frame (fixtures written by scripts/make_references.py).
/// Rule: max |Vigil − reference| ≤ 1e-3 × max |reference|, per output (per row group where
/// an output mixes quantities of different scale).
final class ModelParityTests: XCTestCase {
    enum Path { case kernels, reference }

    func assertParity(_ name: String, _ path: Path, rowGroups: [Range<Int>]? = nil,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ReferenceFixture.load(name)
        guard let modelPath = fixture.modelPath() else {
            throw XCTSkip("\(fixture.modelFile) is not present; run scripts/fetch_models.sh")
        }
        let graph = try ModelLoader.load(path: modelPath)
        let input = try fixture.inputTensor()
        let outputs: [String: Tensor]
        switch path {
        case .reference:
            outputs = try ReferenceInterpreter.run(graph, inputs: [fixture.input.name: input])
        case .kernels:
            let session = try InferenceSession(graph: graph, inputShapes: [fixture.input.name: input.shape], threads: 2)
            outputs = try session.run([fixture.input.name: input])
        }
        for expected in fixture.outputs {
            let actual = try XCTUnwrap(outputs[expected.name], "no output \(expected.name)", file: file, line: line)
            let reference = try fixture.referenceOutput(expected)
            XCTAssertEqual(actual.shape, reference.shape, "\(name) \(expected.name) shape", file: file, line: line)
            for (a, r) in split(actual, reference, rowGroups: rowGroups) {
                let closeness = Closeness.compare(a, r, rel: fixture.tolerance.rel)
                XCTAssertTrue(closeness.passes, "\(name) [\(path)] output \(expected.name): \(closeness)", file: file, line: line)
            }
        }
    }

    /// Splits `[1, R, N]` outputs into row groups (e.g. YOLO's box rows and class rows).
    func split(_ a: Tensor, _ r: Tensor, rowGroups: [Range<Int>]?) -> [(Tensor, Tensor)] {
        guard let rowGroups, a.rank == 3, a.shape == r.shape else { return [(a, r)] }
        let n = a.shape[2]
        let (av, rv) = (a.floats, r.floats)
        return rowGroups.map { rows in
            let range = (rows.lowerBound * n)..<(rows.upperBound * n)
            let shape = [1, rows.count, n]
            return (Tensor(shape: shape, floats: Array(av[range])), Tensor(shape: shape, floats: Array(rv[range])))
        }
    }

    func testTextDetectorKernels() throws { try assertParity("ppocr_det_v4", .kernels) }
    func testTextDetectorReference() throws { try assertParity("ppocr_det_v4", .reference) }
    func testYOLOv8Kernels() throws { try assertParity("yolov8n_random", .kernels, rowGroups: [0..<4, 4..<84]) }
    func testYOLOv8Reference() throws { try assertParity("yolov8n_random", .reference, rowGroups: [0..<4, 4..<84]) }
    func testFaceShortRangeKernels() throws { try assertParity("face_detection_short_range", .kernels) }
    func testFaceShortRangeReference() throws { try assertParity("face_detection_short_range", .reference) }
    func testFaceFullRangeSparseKernels() throws { try assertParity("face_detection_full_range_sparse", .kernels) }
    func testFaceFullRangeSparseReference() throws { try assertParity("face_detection_full_range_sparse", .reference) }
    func testSelfieSegmentationKernels() throws { try assertParity("selfie_segmentation", .kernels) }
    func testSelfieSegmentationReference() throws { try assertParity("selfie_segmentation", .reference) }
    func testPoseDetectionKernels() throws { try assertParity("pose_detection", .kernels) }
    func testPoseDetectionReference() throws { try assertParity("pose_detection", .reference) }
    func testPalmDetectionKernels() throws { try assertParity("palm_detection_lite", .kernels) }
    func testPalmDetectionReference() throws { try assertParity("palm_detection_lite", .reference) }
}
