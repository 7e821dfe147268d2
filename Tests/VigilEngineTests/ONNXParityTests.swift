import XCTest
import VigilEngine
import _TestSupport

/// Whole-model parity against onnxruntime outputs committed by scripts/make_references.py.
final class ONNXParityTests: XCTestCase {
    func assertParity(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ReferenceFixture.load(name)
        guard let modelPath = fixture.modelPath() else {
            throw XCTSkip("\(fixture.modelFile) is not present; run scripts/fetch_models.sh")
        }
        let graph = try ONNXImporter.load(path: modelPath)
        let outputs = try ReferenceInterpreter.run(graph, inputs: [fixture.input.name: try fixture.inputTensor()])
        for expected in fixture.outputs {
            let actual = try XCTUnwrap(outputs[expected.name], "no output \(expected.name)", file: file, line: line)
            let closeness = Closeness.compare(actual, try fixture.referenceOutput(expected), rel: fixture.tolerance.rel)
            XCTAssertTrue(closeness.passes, "\(name) output \(expected.name): \(closeness)", file: file, line: line)
        }
    }

    func testPPOCRTextDetectorMatchesOnnxRuntime() throws {
        try assertParity("ppocr_det_v4")
    }
}
