import XCTest
import VigilEngine
import _TestSupport

/// Whole-model parity against onnxruntime outputs committed by scripts/make_references.py,
/// through both the planned executor (kernels) and the reference interpreter.
final class ONNXParityTests: XCTestCase {
    func assertParity(_ name: String, reference: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ReferenceFixture.load(name)
        guard let modelPath = fixture.modelPath() else {
            throw XCTSkip("\(fixture.modelFile) is not present; run scripts/fetch_models.sh")
        }
        let graph = try ONNXImporter.load(path: modelPath)
        let input = try fixture.inputTensor()
        let outputs: [String: Tensor]
        if reference {
            outputs = try ReferenceInterpreter.run(graph, inputs: [fixture.input.name: input])
        } else {
            let session = try InferenceSession(graph: graph, inputShapes: [fixture.input.name: input.shape], threads: 2)
            XCTAssertEqual(session.referenceStepNames, [], "steps without a fast kernel", file: file, line: line)
            outputs = try session.run([fixture.input.name: input])
        }
        for expected in fixture.outputs {
            let actual = try XCTUnwrap(outputs[expected.name], "no output \(expected.name)", file: file, line: line)
            let closeness = Closeness.compare(actual, try fixture.referenceOutput(expected), rel: fixture.tolerance.rel)
            XCTAssertTrue(closeness.passes, "\(name) output \(expected.name): \(closeness)", file: file, line: line)
        }
    }

    func testPPOCRTextDetectorKernelsMatchOnnxRuntime() throws {
        try assertParity("ppocr_det_v4", reference: false)
    }

    func testPPOCRTextDetectorReferenceMatchesOnnxRuntime() throws {
        try assertParity("ppocr_det_v4", reference: true)
    }
}
