import XCTest
@testable import VigilEngine
import _TestSupport

/// Constant Pad (in the input's own layout, and folded into convolutions) and PRelu, against
/// the reference operators.
final class PadPReluKernelTests: XCTestCase {
    func convolved(_ t: inout TestGraph, _ shape: [Int]) -> ValueID {
        let x = t.input(shape)
        return t.node(convOp((3, 3), padding: pads(1, 1, 1, 1)), [x, t.constant([shape[1], shape[1], 3, 3]), t.constant([shape[1]])])
    }

    func testConstantPadAfterConvRunsInChannelsLastLayout() {
        for (pads, value) in [([0, 0, 1, 2, 0, 0, 3, 0], Float(0)), ([0, 2, 0, 1, 0, 1, 2, 0], 0.5), ([1, 0, 0, 0, 0, 0, 1, 1], -2)] {
            var t = TestGraph(seed: 31)
            let y = convolved(&t, [1, 3, 5, 7])
            let p = t.node(.pad(mode: .constant), [y, t.ints(pads), t.constant(Tensor(shape: [1], floats: [value]))])
            t.output(p)
            assertKernelsMatchReference(t, rel: 1e-5, "pad \(pads) value \(value)")
        }
    }

    func testZeroPadFoldsIntoTheFollowingConvolution() throws {
        var t = TestGraph(seed: 32)
        let x = t.input([1, 4, 9, 8])
        let p = t.node(.pad(mode: .constant), [x, t.ints([0, 0, 1, 2, 0, 0, 2, 1])])
        let conv = t.node(convOp((3, 3), strides: (2, 2), groups: 4), [p, t.constant([4, 1, 3, 3]), t.constant([4])])
        t.output(conv)
        assertKernelsMatchReference(t, rel: 1e-4, "pad then depthwise stride 2")
        let optimized = GraphOptimizer.optimize(t.graph)
        XCTAssertFalse(optimized.nodes.contains { if case .pad = $0.op { return true }; return false }, "Pad should fold into the conv")
    }

    func testPReluPerChannelAndScalarSlopes() {
        for slopeShape in [[3, 1, 1], [1], [1, 3, 1, 1]] {
            var t = TestGraph(seed: 33)
            let y = convolved(&t, [1, 3, 6, 5])
            t.output(t.node(.prelu, [y, t.constant(slopeShape)]))
            assertKernelsMatchReference(t, rel: 1e-5, "prelu slope \(slopeShape)")
        }
    }

    /// Conv → PRelu and Conv → Add(·, r) → PRelu run as one GEMM step with the slopes applied
    /// in the store, for per-channel and scalar slopes, 1×1 and im2col convolutions, channel
    /// counts across panel edges (5, 17, 24 = a wide pair, 40).
    func testPReluFusesIntoConvolution() throws {
        for (shape, cout, kernel, residual, slopeShape) in [([1, 8, 6, 7], 8, 1, false, [8, 1, 1]), ([1, 5, 9, 4], 17, 3, false, [17, 1, 1]),
                                                            ([1, 6, 7, 5], 24, 1, true, [24, 1, 1]), ([2, 4, 5, 6], 40, 5, true, [1]),
                                                            ([1, 3, 8, 8], 5, 3, true, [1, 5, 1, 1])] {
            var t = TestGraph(seed: 36)
            let x = t.input(shape)
            let pad = kernel / 2
            var y = t.node(convOp((kernel, kernel), padding: pads(pad, pad, pad, pad)), [x, t.constant([cout, shape[1], kernel, kernel]), t.constant([cout])])
            var expectedSteps = 3  // input to channels-last, the conv with its PRelu, output back to NCHW
            if residual {
                let r = t.node(convOp((1, 1)), [x, t.constant([cout, shape[1], 1, 1]), t.constant([cout])])
                y = t.node(.binary(.add), [y, r])
                expectedSteps += 1
            }
            t.output(t.node(.prelu, [y, t.constant(slopeShape, in: -2...2)]))
            let label = "conv \(kernel)x\(kernel) \(shape) → \(cout), residual \(residual), slope \(slopeShape)"
            assertKernelsMatchReference(t, rel: 1e-5, label)
            let session = try InferenceSession(graph: t.graph, inputShapes: [t.graph.values[t.graph.inputs[0]].name: shape], threads: 1)
            XCTAssertEqual(session.stepCount, expectedSteps, "\(label): \(session.plan.steps.map { $0.kind + " " + $0.name })")
        }
    }

    /// A slope that varies along a spatial axis is not one per channel, and a 3×3 convolution
    /// that runs as Winograd applies no slopes: both keep the PRelu as a step, with the same results.
    func testPReluThatCannotFuseStaysAStep() throws {
        for (shape, kernel, slopeShape) in [([1, 8, 6, 7], 1, [1, 7]), ([1, 16, 8, 8], 3, [16, 1, 1])] {
            var t = TestGraph(seed: 37)
            let x = t.input(shape)
            let pad = kernel / 2
            let y = t.node(convOp((kernel, kernel), padding: pads(pad, pad, pad, pad)), [x, t.constant([shape[1], shape[1], kernel, kernel]), t.constant([shape[1]])])
            t.output(t.node(.prelu, [y, t.constant(slopeShape, in: -2...2)]))
            assertKernelsMatchReference(t, rel: 1e-5, "slope \(slopeShape), kernel \(kernel)")
            let session = try InferenceSession(graph: t.graph, inputShapes: [t.graph.values[t.graph.inputs[0]].name: shape], threads: 1)
            XCTAssertTrue(session.plan.steps.contains { $0.kind == "Binary" }, "slope \(slopeShape), kernel \(kernel): PRelu should stay a step")
        }
    }

    /// Conv → Add(·, r) → Relu runs as one GEMM with the residual added in the store.
    func testResidualAddAndActivationFuseIntoConvolution() throws {
        for (shape, cout) in [([1, 8, 6, 7], 8), ([1, 5, 9, 4], 17), ([2, 16, 5, 5], 16), ([1, 6, 7, 5], 12), ([1, 4, 5, 6], 28), ([1, 64, 7, 7], 88)] {
            var t = TestGraph(seed: 34)
            let x = t.input(shape)
            let r = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1)), [x, t.constant([cout, shape[1], 3, 3]), t.constant([cout])])
            let y = t.node(convOp((1, 1)), [x, t.constant([cout, shape[1], 1, 1]), t.constant([cout])])
            let sum = t.node(.binary(.add), [y, r])
            t.output(t.node(.activation(.relu), [sum]))
            assertKernelsMatchReference(t, rel: 1e-5, "conv + residual + relu \(shape) → \(cout)")
            let session = try InferenceSession(graph: t.graph, inputShapes: [t.graph.values[t.graph.inputs[0]].name: shape], threads: 1)
            // Input to channels-last, conv r, conv y with add and relu fused, output back to NCHW.
            XCTAssertEqual(session.stepCount, 4, "residual add and relu should fuse into the 1x1 conv")
        }
    }

    /// BlazeFace's block as TFLite orders it: conv, then the skip branch's max-pool and channel
    /// Pad, then Add and Relu. The max-pool is planned ahead, the Pad is not computed at all (the
    /// GEMM adds the unpadded tensor to the first channels) and the Add and Relu fuse.
    func testResidualFromALaterChannelPadFusesIntoConvolution() throws {
        // (input channels, output channels): a partial panel; a full panel then none; a full
        // panel then a partial one.
        for (cin, cout) in [(8, 12), (16, 28), (20, 40)] {
            var t = TestGraph(seed: 35)
            let x = t.input([1, cin, 10, 10])
            let y = t.node(convOp((3, 3), strides: (2, 2), padding: pads(0, 0, 1, 1)), [x, t.constant([cout, cin, 3, 3]), t.constant([cout])])
            let pooled = t.node(.maxPool2D(poolAttributes((2, 2), strides: (2, 2))), [x])
            let padded = t.node(.pad(mode: .constant), [pooled, t.ints([0, 0, 0, 0, 0, cout - cin, 0, 0])])
            let sum = t.node(.binary(.add), [y, padded])
            t.output(t.node(.activation(.relu), [sum]))
            assertKernelsMatchReference(t, rel: 1e-5, "conv + later channel pad \(cin) → \(cout) + relu")
            let session = try InferenceSession(graph: t.graph, inputShapes: [t.graph.values[t.graph.inputs[0]].name: [1, cin, 10, 10]], threads: 1)
            // Input to channels-last, max-pool, conv with the residual, add and relu fused, output to NCHW.
            XCTAssertEqual(session.stepCount, 4, "no Pad step, Add and Relu fused: \(session.plan.steps.map { $0.kind + " " + $0.name })")
        }
    }
}
