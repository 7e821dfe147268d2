import CAllocationCounter
import XCTest
@testable import VigilEngine
import _TestSupport

/// The engine issue asks that running a frame allocate nothing: `InferenceSession.run()` on a
/// planned model, inputs already in place, must make no heap allocation. Counted by interposing
/// the allocator (CAllocationCounter), on every thread, the worker pool's included: at two
/// threads kernels hand the pool job structs, not closures, whose escaping copies Swift would
/// allocate at every parallel call.
final class AllocationTests: XCTestCase {
    func testTheCounterSeesAllocations() {
        allocation_counter_begin()
        let values = [Float](repeating: 1, count: 1000 + Int.random(in: 0..<10))
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        let count = allocation_counter_end()
        pointer.deallocate()
        XCTAssertEqual(values.count >= 1000, true)
        XCTAssertGreaterThanOrEqual(count, 2, "an array and an aligned buffer")
    }

    func testRunningAReferenceModelAllocatesNothing() throws {
        var checked = 0
        for name in ["face_detection_short_range", "face_detection_full_range_sparse", "selfie_segmentation", "pose_detection",
                     "palm_detection_lite", "ppocr_det_v4", "yolov8n_random"] {
            let fixture = try ReferenceFixture.load(name)
            guard let path = fixture.modelPath() else { continue }
            let shape = try fixture.inputTensor().shape
            for threads in [1, 2] {
                let session = try InferenceSession(graph: try ModelLoader.load(path: path), inputShapes: [fixture.input.name: shape],
                                                   threads: threads)
                XCTAssertEqual(session.referenceStepNames, [], "\(name) runs only kernels")
                let buffer = session.inputBuffer(0)
                for j in 0..<buffer.count { buffer[j] = Float(j % 255) / 255 }
                try session.run()  // warm-up: the worker pool's threads start on first use
                allocation_counter_begin()
                for _ in 0..<2 { try session.run() }
                let allocations = allocation_counter_end()
                XCTAssertEqual(allocations, 0, "\(name) at \(threads) threads: heap allocations in 2 runs")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 1, "at least the shipped model")
    }
}
