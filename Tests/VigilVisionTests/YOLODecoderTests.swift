import VigilEngine
import VigilVision
import XCTest
import _TestSupport

final class YOLODecoderTests: XCTestCase {
    let labels = ["person", "car", "dog"]

    /// `[1, 4 + nc, N]` with three anchors: two overlapping cars, one dog.
    func channelFirstOutput() -> [Float] {
        let columns: [[Float]] = [
            [50, 50, 20, 20, 0.1, 0.9, 0.0],   // car 0.9 at (40,40)-(60,60)
            [52, 50, 20, 20, 0.2, 0.8, 0.1],   // car 0.8, IoU 0.82 with the first
            [10, 10, 4, 8, 0.0, 0.1, 0.6],     // dog 0.6
            [90, 90, 10, 10, 0.1, 0.2, 0.2],   // below threshold
        ]
        var output = [Float](repeating: 0, count: 7 * columns.count)
        for (i, column) in columns.enumerated() { for (row, value) in column.enumerated() { output[row * columns.count + i] = value } }
        return output
    }

    func testDecodesChannelFirstWithClassAwareNMS() throws {
        let decoder = YOLODecoder(labels: labels, scoreThreshold: 0.25, nms: NMSOptions(algorithm: .hard, iouThreshold: 0.7))
        let detections = try decoder.decode(output: channelFirstOutput(), shape: [1, 7, 4], transform: .identity(width: 100, height: 100))
        XCTAssertEqual(detections.map(\.label), ["car", "dog"])
        XCTAssertEqual(detections[0].score, 0.9)
        assertBox(detections[0].box, box(40, 40, 60, 60))
        assertBox(detections[1].box, box(8, 6, 12, 14))
    }

    func testAcceptsChannelLastAndMapsToSource() throws {
        let first = channelFirstOutput()
        var last = [Float](repeating: 0, count: first.count)
        for row in 0..<7 { for i in 0..<4 { last[i * 7 + row] = first[row * 4 + i] } }
        let decoder = YOLODecoder(labels: labels)
        // A 200×100 source letterboxed into 100×100: scale 0.5, 25 px top padding.
        let transform = InputTransform(sourceWidth: 200, sourceHeight: 100, scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 25)
        let detections = try decoder.decode(output: last, shape: [1, 4, 7], transform: transform)
        // The dog's box lies wholly in the top padding, so only the car remains.
        XCTAssertEqual(detections.map(\.label), ["car"])
        assertBox(detections[0].box, box(80, 30, 120, 70))
    }

    func testWrongShapeThrows() {
        XCTAssertThrowsError(try YOLODecoder(labels: labels).decode(output: [Float](repeating: 0, count: 10), shape: [1, 5, 2],
                                                                   transform: .identity(width: 1, height: 1)))
    }

    /// A YOLOv8n export with random weights (scripts/materialize_yolo.py): meaningless boxes,
    /// but the real output layout, [1, 84, 252].
    func testDecodesARealExportLayout() throws {
        let fixture: ReferenceFixture
        do { fixture = try ReferenceFixture.load("yolov8n_random") } catch { throw XCTSkip("no yolov8n_random fixture") }
        let output = try fixture.referenceOutput(fixture.outputs[0])
        let decoder = YOLODecoder(labels: (0..<80).map { "class\($0)" }, scoreThreshold: 0.5)
        let detections = try decoder.decode(output: output.floats, shape: output.shape, transform: .identity(width: 128, height: 96))
        XCTAssertFalse(detections.isEmpty)
        XCTAssertLessThanOrEqual(detections.count, 300)
        XCTAssertTrue(detections.allSatisfy { $0.box.isFinite && $0.classIndex < 80 && $0.score > 0.5 })
    }
}
