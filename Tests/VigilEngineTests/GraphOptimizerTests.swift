import XCTest
@testable import VigilEngine
import _TestSupport

/// Load-time rewrites, checked against the reference interpreter on the unrewritten graph.
final class GraphOptimizerTests: XCTestCase {
    func scalar(_ t: inout TestGraph, _ value: Float) -> ValueID { t.constant(Tensor(shape: [1], floats: [value])) }

    /// PP-OCR's learnable affine blocks: conv → ·s → +b → hardswish → ·s' → +b' → conv.
    func testScalarAffineFoldsIntoTheConvolutionsAroundIt() throws {
        var t = TestGraph(seed: 51)
        let x = t.input([1, 6, 9, 8])
        let conv = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1)), [x, t.constant([8, 6, 3, 3]), t.constant([8])])
        let scaled = t.node(.binary(.mul), [scalar(&t, 1.7), conv])
        let shifted = t.node(.binary(.add), [scaled, scalar(&t, -0.3)])
        let activated = t.node(.activation(.hardSwish), [shifted])
        let scaled2 = t.node(.binary(.mul), [activated, scalar(&t, 0.8)])
        let shifted2 = t.node(.binary(.add), [scalar(&t, 0.25), scaled2])
        // A 1×1 conv without padding takes the second affine into its weights and bias.
        t.output(t.node(convOp((1, 1)), [shifted2, t.constant([5, 8, 1, 1]), t.constant([5])]))
        assertKernelsMatchReference(t, rel: 1e-5, "affine folded around convolutions")
        let optimized = GraphOptimizer.optimize(t.graph)
        XCTAssertEqual(optimized.nodes.count, 2, "two convolutions, the hardswish fused: \(optimized.nodes.map(\.op.name))")
    }

    /// With padding, conv(s·x + b) ≠ s·conv(x) + b·ΣW at the borders: the affine stays.
    func testAffineBeforeAPaddedConvolutionStays() throws {
        var t = TestGraph(seed: 52)
        let x = t.input([1, 4, 7, 7])
        let conv = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), groups: 4), [x, t.constant([4, 1, 3, 3]), t.constant([4])])
        let activated = t.node(.activation(.relu), [conv])
        let shifted = t.node(.binary(.add), [activated, scalar(&t, 0.5)])
        t.output(t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), groups: 4), [shifted, t.constant([4, 1, 3, 3]), t.constant([4])]))
        assertKernelsMatchReference(t, rel: 1e-5, "affine before a padded conv")
        let optimized = GraphOptimizer.optimize(t.graph)
        XCTAssertTrue(optimized.nodes.contains { if case .binary(.add) = $0.op { return true }; return false })
    }

    /// A conv output read by something else too, or a non-scalar constant: nothing folds.
    func testSharedOutputsAndTensorsAreNotFolded() {
        var t = TestGraph(seed: 53)
        let x = t.input([1, 3, 5, 5])
        let conv = t.node(convOp((1, 1)), [x, t.constant([4, 3, 1, 1]), t.constant([4])])
        let scaled = t.node(.binary(.mul), [conv, scalar(&t, 2)])
        let perChannel = t.node(.binary(.add), [scaled, t.constant([1, 4, 1, 1])])
        t.output(perChannel)
        t.output(t.node(.binary(.add), [conv, scalar(&t, 1)]))
        assertKernelsMatchReference(t, rel: 1e-5, "shared conv output")
        XCTAssertEqual(GraphOptimizer.optimize(t.graph).nodes.count, 4)
    }
}
