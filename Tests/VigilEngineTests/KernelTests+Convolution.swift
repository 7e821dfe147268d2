import XCTest
@testable import VigilEngine
import _TestSupport

/// Conv, depthwise conv, transposed conv and the GEMM under them, fast kernel against the
/// naive reference on odd shapes.
final class ConvolutionKernelTests: XCTestCase {
    struct ConvCase: CustomStringConvertible {
        var batch = 1, channels = 8, height = 7, width = 9, outputChannels = 16
        var kernel = (3, 3), strides = (1, 1), dilations = (1, 1)
        var padding: Padding = .zero
        var groups = 1
        var activation: Activation = .identity
        var bias = true

        var description: String {
            "Conv x[\(batch),\(channels),\(height),\(width)] cout \(outputChannels) k\(kernel) s\(strides) d\(dilations) \(padding) g\(groups) \(activation) bias \(bias)"
        }

        func graph(seed: UInt64) -> TestGraph {
            var t = TestGraph(seed: seed)
            let x = t.input([batch, channels, height, width])
            let w = t.constant([outputChannels, channels / groups, kernel.0, kernel.1])
            let b = bias ? t.constant([outputChannels]) : nil
            t.output(t.node(convOp(kernel, strides: strides, dilations: dilations, padding: padding, groups: groups, activation: activation), [x, w, b]))
            return t
        }
    }

    func check(_ c: ConvCase, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) {
        assertKernelsMatchReference(c.graph(seed: seed), "\(c)", file: file, line: line)
    }

    func testPointwise() {
        check(ConvCase(channels: 8, outputChannels: 16, kernel: (1, 1)))
        check(ConvCase(channels: 3, height: 5, width: 11, outputChannels: 5, kernel: (1, 1)))
        check(ConvCase(channels: 17, height: 13, width: 1, outputChannels: 33, kernel: (1, 1), bias: false))
        check(ConvCase(batch: 2, channels: 13, height: 7, width: 9, outputChannels: 17, kernel: (1, 1)))
        // Few pixels, enough work to split: at two threads the output channels are split
        // (`Conv2DKernel.panelSplitPixels`), the last two panels (88 = 5·16 + 8) as one unit.
        check(ConvCase(channels: 64, height: 7, width: 7, outputChannels: 88, kernel: (1, 1)))
        check(ConvCase(channels: 48, height: 9, width: 9, outputChannels: 100, kernel: (1, 1), activation: .hardSwish))
        // 1×1 with stride or padding goes through im2col, not the pointwise path.
        check(ConvCase(channels: 6, height: 9, width: 7, outputChannels: 10, kernel: (1, 1), strides: (2, 2)))
        check(ConvCase(channels: 6, height: 5, width: 5, outputChannels: 10, kernel: (1, 1), padding: pads(1, 0, 0, 1)))
    }

    /// 3×3 stride-1 layers with ≥ 16 channels in and out (multiples of 8) run as Winograd
    /// F(2×2, 3×3): odd output sizes (partial tiles), no, symmetric and asymmetric padding,
    /// batches, activations, blocks of tiles beyond one, and more than one block per thread.
    func testWinogradThreeByThree() {
        check(ConvCase(channels: 16, height: 8, width: 8, outputChannels: 16, padding: pads(1, 1, 1, 1)))
        check(ConvCase(channels: 16, height: 9, width: 7, outputChannels: 24, padding: pads(1, 1, 1, 1), activation: .silu))
        check(ConvCase(channels: 24, height: 11, width: 13, outputChannels: 16, activation: .relu))                 // no padding: 9×11
        check(ConvCase(channels: 16, height: 10, width: 9, outputChannels: 32, padding: pads(0, 1, 2, 1), bias: false))
        check(ConvCase(batch: 2, channels: 32, height: 7, width: 12, outputChannels: 40, padding: pads(1, 1, 1, 1), activation: .sigmoid))
        // 40×40 outputs: 400 tiles, several blocks, split between threads.
        check(ConvCase(channels: 64, height: 40, width: 40, outputChannels: 64, padding: pads(1, 1, 1, 1), activation: .silu))
        let g = ConvolutionGeometry(inputNHWC: [1, 40, 40, 64], outputChannels: 64,
                                    Conv2DAttributes(layout: .nhwc, kernel: (3, 3), strides: (1, 1), dilations: (1, 1),
                                                     padding: pads(1, 1, 1, 1), groups: 1, activation: .identity))
        XCTAssertTrue(WinogradConv2DKernel.applies(g), "the cases above go through the Winograd kernel")
    }

    func testThreeByThreeStrides() {
        check(ConvCase(channels: 3, outputChannels: 16, padding: pads(1, 1, 1, 1)))
        check(ConvCase(channels: 3, outputChannels: 16, strides: (2, 2), padding: pads(1, 1, 1, 1)))
        check(ConvCase(channels: 5, height: 8, width: 8, outputChannels: 17, strides: (2, 2)))
        check(ConvCase(channels: 4, height: 11, width: 6, outputChannels: 8, strides: (2, 1), padding: pads(1, 1, 1, 1)))
        check(ConvCase(channels: 2, height: 13, width: 13, outputChannels: 4, kernel: (5, 5), strides: (3, 3), padding: pads(2, 2, 2, 2)))
        check(ConvCase(channels: 3, height: 9, width: 12, outputChannels: 6, kernel: (3, 1), padding: pads(1, 0, 1, 0)))
    }

    func testDilation() {
        check(ConvCase(channels: 4, height: 9, width: 11, outputChannels: 8, dilations: (2, 2), padding: pads(2, 2, 2, 2)))
        check(ConvCase(channels: 3, height: 12, width: 10, outputChannels: 5, strides: (2, 2), dilations: (2, 3)))
        check(ConvCase(channels: 6, height: 10, width: 10, outputChannels: 6, dilations: (2, 2), padding: pads(2, 2, 2, 2), groups: 6))
    }

    func testAsymmetricExplicitPads() {
        check(ConvCase(channels: 3, outputChannels: 8, padding: pads(0, 1, 2, 0)))
        check(ConvCase(channels: 3, outputChannels: 8, strides: (2, 2), padding: pads(2, 0, 1, 3)))
        check(ConvCase(channels: 8, outputChannels: 8, padding: pads(1, 0, 0, 2), groups: 8))
    }

    func testSamePadding() {
        for padding in [Padding.sameUpper, .sameLower] {
            for strides in [(1, 1), (2, 2), (3, 2)] {
                check(ConvCase(channels: 3, height: 7, width: 10, outputChannels: 5, strides: strides, padding: padding))
                check(ConvCase(channels: 7, height: 7, width: 10, outputChannels: 7, kernel: (5, 5), strides: strides, padding: padding, groups: 7))
                check(ConvCase(channels: 4, height: 8, width: 9, outputChannels: 6, kernel: (2, 2), strides: strides, padding: padding))
            }
        }
    }

    func testGroupedNonDepthwise() {
        check(ConvCase(channels: 8, outputChannels: 16, padding: pads(1, 1, 1, 1), groups: 2))
        check(ConvCase(channels: 8, outputChannels: 12, strides: (2, 2), padding: pads(1, 1, 1, 1), groups: 4))
        check(ConvCase(channels: 12, outputChannels: 20, kernel: (1, 1), groups: 4))
        check(ConvCase(channels: 6, outputChannels: 34, padding: pads(0, 1, 1, 0), groups: 2))
        check(ConvCase(batch: 2, channels: 64, height: 5, width: 5, outputChannels: 64, padding: pads(1, 1, 1, 1), groups: 2))
    }

    func testDepthwise() {
        for channels in [1, 7, 8, 13, 32] {
            check(ConvCase(channels: channels, outputChannels: channels, padding: pads(1, 1, 1, 1), groups: channels))
            check(ConvCase(channels: channels, height: 10, width: 9, outputChannels: channels, strides: (2, 2), padding: pads(1, 1, 1, 1), groups: channels))
            check(ConvCase(channels: channels, outputChannels: channels, kernel: (5, 5), padding: pads(2, 2, 2, 2), groups: channels, bias: false))
        }
        check(ConvCase(batch: 2, channels: 13, height: 7, width: 9, outputChannels: 13, padding: pads(0, 1, 2, 1), groups: 13, activation: .relu))
        // Rows wider than a tile of DepthwiseConv2DKernel.tilePixels (64), taps straddling the
        // tile boundary, a ReLU6 epilogue and a channel remainder.
        check(ConvCase(channels: 13, height: 4, width: 150, outputChannels: 13, padding: pads(1, 1, 1, 1), groups: 13, activation: .clip(min: 0, max: 6)))
        check(ConvCase(channels: 16, height: 5, width: 141, outputChannels: 16, kernel: (5, 5), strides: (2, 2), padding: pads(2, 1, 2, 3), groups: 16))
        check(ConvCase(channels: 8, height: 6, width: 133, outputChannels: 8, dilations: (1, 3), padding: pads(1, 3, 1, 3), groups: 8))
        // Small maps where every pixel is an edge pixel (four channel blocks at a time, then
        // single blocks, then a last block overlapping its neighbour: 44 = 32 + 8 + 4).
        check(ConvCase(channels: 44, height: 7, width: 7, outputChannels: 44, kernel: (5, 5), padding: pads(2, 2, 2, 2), groups: 44, activation: .hardSwish))
        check(ConvCase(channels: 28, height: 9, width: 12, outputChannels: 28, strides: (2, 2), padding: pads(0, 0, 1, 1), groups: 28, activation: .clip(min: 0, max: 6)))
        // The edge path's epilogues, compiled in by type: each activation it specialises for,
        // on 32-channel blocks with 3, 4 and 5 horizontal taps.
        for activation: Activation in [.identity, .relu, .clip(min: 0, max: 6), .sigmoid] {
            check(ConvCase(channels: 64, height: 6, width: 7, outputChannels: 64, kernel: (5, 5), padding: pads(2, 2, 2, 2), groups: 64, activation: activation))
        }
        // Four channels (a register of four lanes): each epilogue, stride 2, asymmetric pads, dilation.
        for activation: Activation in [.identity, .relu, .clip(min: -0.2, max: 0.3), .sigmoid] {
            check(ConvCase(channels: 4, height: 9, width: 11, outputChannels: 4, strides: (2, 2), padding: pads(0, 0, 1, 1), groups: 4, activation: activation))
        }
        check(ConvCase(channels: 4, height: 8, width: 10, outputChannels: 4, kernel: (5, 5), dilations: (1, 2), padding: pads(2, 1, 2, 3), groups: 4, bias: false))
        // Up to 7 horizontal taps: past the specialised counts, taken at run time.
        check(ConvCase(channels: 32, height: 9, width: 9, outputChannels: 32, kernel: (7, 7), padding: pads(3, 3, 3, 3), groups: 32, activation: .relu))
    }

    func testDepthwiseMultiplier() {
        check(ConvCase(channels: 8, outputChannels: 16, padding: pads(1, 1, 1, 1), groups: 8))
        check(ConvCase(channels: 7, height: 9, width: 7, outputChannels: 14, strides: (2, 2), padding: pads(1, 1, 1, 1), groups: 7))
        check(ConvCase(channels: 3, outputChannels: 9, padding: pads(1, 1, 1, 1), groups: 3))
    }

    func testOutputChannelsNotMultipleOfPanel() {
        for cout in [1, 5, 15, 17, 31, 33, 48] {
            check(ConvCase(channels: 6, height: 7, width: 9, outputChannels: cout, padding: pads(1, 1, 1, 1)))
            check(ConvCase(channels: 6, height: 7, width: 9, outputChannels: cout, kernel: (1, 1)))
        }
    }

    func testBatchTwo() {
        check(ConvCase(batch: 2, channels: 3, height: 9, width: 7, outputChannels: 17, strides: (2, 2), padding: pads(1, 1, 1, 1)))
        check(ConvCase(batch: 2, channels: 5, height: 6, width: 6, outputChannels: 7, kernel: (1, 1)))
    }

    func testFusedActivations() {
        let activations: [Activation] = [.relu, .clip(min: -0.3, max: 0.4), .hardSwish, .sigmoid, .tanh, .leakyRelu(alpha: 0.1),
                                         .hardSigmoid(alpha: 0.2, beta: 0.5), .silu]
        for activation in activations {
            check(ConvCase(channels: 5, outputChannels: 17, padding: pads(1, 1, 1, 1), activation: activation))
            check(ConvCase(channels: 5, outputChannels: 19, kernel: (1, 1), activation: activation))
            check(ConvCase(channels: 9, outputChannels: 9, padding: pads(1, 1, 1, 1), groups: 9, activation: activation))
            // Interior groups of 8 and 4 over every channel block, the last block overlapping:
            // an activation applied after the fact must not hit the overlap twice.
            check(ConvCase(channels: 13, height: 5, width: 40, outputChannels: 13, padding: pads(1, 1, 1, 1), groups: 13, activation: activation))
        }
    }

    /// Activation nodes after a conv in the graph: the optimizer fuses the first, the rest run as steps.
    func testActivationNodesAfterConv() {
        var t = TestGraph(seed: 3)
        let x = t.input([1, 4, 7, 9])
        let y = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1)), [x, t.constant([10, 4, 3, 3]), t.constant([10])])
        let r = t.node(.activation(.clip(min: 0, max: 6)), [y])
        let s = t.node(.activation(.hardSwish), [r])
        t.output(t.node(.activation(.sigmoid), [s]))
        assertKernelsMatchReference(t)
    }

    /// A seeded sweep of random convolution shapes, each checked against the reference.
    func testRandomConvolutions() {
        var rng = SeededGenerator(seed: 42)
        let activations: [Activation] = [.identity, .relu, .hardSwish, .clip(min: 0, max: 6)]
        for i in 0..<40 {
            var c = ConvCase()
            c.batch = Int.random(in: 1...2, using: &rng)
            let kind = Int.random(in: 0..<4, using: &rng)
            let groups: Int
            switch kind {
            case 0: groups = 1
            case 1: groups = Int.random(in: 2...4, using: &rng)
            default: groups = Int.random(in: 1...20, using: &rng)  // depthwise-like
            }
            let perGroupIn = kind >= 2 ? 1 : Int.random(in: 1...6, using: &rng)
            c.channels = groups * perGroupIn
            c.groups = groups
            c.outputChannels = groups * (kind == 2 ? 1 : Int.random(in: 1...6, using: &rng))
            c.kernel = (Int.random(in: 1...5, using: &rng), Int.random(in: 1...5, using: &rng))
            c.strides = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng))
            c.dilations = Bool.random(using: &rng) ? (1, 1) : (Int.random(in: 1...2, using: &rng), Int.random(in: 1...2, using: &rng))
            c.height = Int.random(in: 1...12, using: &rng) + (c.kernel.0 - 1) * c.dilations.0
            c.width = Int.random(in: 1...12, using: &rng) + (c.kernel.1 - 1) * c.dilations.1
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: c.padding = .zero
            case 1: c.padding = .sameUpper
            case 2: c.padding = .sameLower
            default:
                c.padding = pads(Int.random(in: 0...2, using: &rng), Int.random(in: 0...2, using: &rng),
                                 Int.random(in: 0...2, using: &rng), Int.random(in: 0...2, using: &rng))
            }
            c.activation = activations.randomElement(using: &rng)!
            c.bias = Bool.random(using: &rng)
            check(c, seed: UInt64(100 + i))
        }
    }

    /// Channels-last graphs (TFLite layout) through the same kernels.
    func testNHWCLayout() {
        var t = TestGraph(seed: 5)
        let x = t.input([1, 7, 9, 6])
        let y = t.node(convOp((3, 3), strides: (2, 2), padding: .sameUpper, activation: .relu, layout: .nhwc), [x, t.constant([10, 6, 3, 3]), t.constant([10])])
        let d = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), groups: 10, layout: .nhwc), [y, t.constant([10, 1, 3, 3]), nil])
        t.output(t.node(.maxPool2D(poolAttributes((2, 2), strides: (2, 2), ceilMode: true, layout: .nhwc)), [d]))
        assertKernelsMatchReference(t)
    }

    // MARK: - ConvTranspose

    func convTranspose(_ x: [Int], cout: Int, kernel: (Int, Int), strides: (Int, Int), pads p: (Int, Int, Int, Int) = (0, 0, 0, 0),
                       outputPadding: (Int, Int) = (0, 0), dilations: (Int, Int) = (1, 1), groups: Int = 1,
                       activation: Activation = .identity, bias: Bool = true, seed: UInt64 = 7,
                       file: StaticString = #filePath, line: UInt = #line) {
        var t = TestGraph(seed: seed)
        let input = t.input(x)
        let w = t.constant([x[1], cout / groups, kernel.0, kernel.1])
        let b = bias ? t.constant([cout]) : nil
        let a = ConvTranspose2DAttributes(layout: .nchw, kernel: (kernel.0, kernel.1), strides: (strides.0, strides.1),
                                          dilations: (dilations.0, dilations.1), pads: (p.0, p.1, p.2, p.3),
                                          outputPadding: (outputPadding.0, outputPadding.1), groups: groups, activation: activation)
        t.output(t.node(.convTranspose2D(a), [input, w, b]))
        assertKernelsMatchReference(t, "ConvTranspose x\(x) cout \(cout) k\(kernel) s\(strides) pads \(p) op \(outputPadding) d\(dilations) g\(groups)",
                                    file: file, line: line)
    }

    func testConvTransposeStride2Kernel2() {
        convTranspose([1, 8, 5, 7], cout: 4, kernel: (2, 2), strides: (2, 2))
        convTranspose([2, 3, 4, 3], cout: 17, kernel: (2, 2), strides: (2, 2), bias: false)
    }

    /// Stride equal to the kernel runs as one GEMM per kernel row straight into the output, or
    /// with few outputs per pixel as dot products (DBNet's and MediaPipe's heads: 2×2 stride 2
    /// down to one channel, then a sigmoid).
    func testConvTransposeStrideEqualsKernel() {
        convTranspose([1, 16, 9, 12], cout: 1, kernel: (2, 2), strides: (2, 2), activation: .sigmoid)
        // Up to 4 outputs per input pixel and kernel row, channels a multiple of 8: dot products.
        convTranspose([2, 24, 5, 6], cout: 2, kernel: (2, 2), strides: (2, 2), activation: .relu)
        convTranspose([2, 5, 4, 3], cout: 7, kernel: (2, 3), strides: (2, 3), activation: .clip(min: 0, max: 6))
        convTranspose([1, 3, 3, 5], cout: 20, kernel: (3, 3), strides: (3, 3), bias: false)
    }

    func testConvTransposeStride2Kernel3PadsOutputPadding() {
        convTranspose([1, 6, 5, 7], cout: 5, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), outputPadding: (1, 1))
        convTranspose([1, 4, 6, 3], cout: 8, kernel: (3, 3), strides: (2, 2), pads: (1, 0, 2, 1), outputPadding: (0, 1))
        convTranspose([1, 4, 6, 5], cout: 3, kernel: (4, 3), strides: (3, 2), pads: (0, 1, 1, 0), dilations: (1, 2))
    }

    func testConvTransposeGroupsAndActivation() {
        convTranspose([1, 8, 5, 5], cout: 6, kernel: (2, 2), strides: (2, 2), groups: 2)
        convTranspose([1, 6, 4, 7], cout: 9, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), outputPadding: (1, 1), groups: 3,
                      activation: .relu)
        convTranspose([1, 4, 3, 3], cout: 4, kernel: (3, 3), strides: (1, 1), pads: (1, 1, 1, 1), groups: 4, activation: .sigmoid)
        convTranspose([2, 4, 3, 5], cout: 6, kernel: (3, 2), strides: (1, 2), dilations: (2, 1), groups: 2)
    }

    /// Enough input pixels that the single-group GEMM path splits across threads.
    func testConvTransposeLarge() {
        convTranspose([2, 5, 7, 9], cout: 19, kernel: (2, 2), strides: (2, 2), activation: .relu)
        convTranspose([1, 16, 12, 11], cout: 8, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), outputPadding: (1, 1))
    }

    /// ConvTranspose → BN with constant parameters: the optimizer folds the BN into the weights.
    func testConvTransposeWithFoldedBatchNormalization() {
        var t = TestGraph(seed: 8)
        let x = t.input([1, 6, 4, 5])
        let a = ConvTranspose2DAttributes(layout: .nchw, kernel: (2, 2), strides: (2, 2), dilations: (1, 1), pads: (0, 0, 0, 0),
                                          outputPadding: (0, 0), groups: 2, activation: .identity)
        let y = t.node(.convTranspose2D(a), [x, t.constant([6, 4, 2, 2]), nil])
        let bn = t.node(.batchNormalization(epsilon: 1e-5, layout: .nchw),
                        [y, t.constant([8]), t.constant([8]), t.constant([8]), t.constant([8], in: 0.5...2)])
        t.output(t.node(.activation(.relu), [bn]))
        assertKernelsMatchReference(t)
    }

    func testConvWithFoldedBatchNormalization() {
        var t = TestGraph(seed: 9)
        let x = t.input([1, 4, 6, 5])
        let y = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), groups: 2), [x, t.constant([6, 2, 3, 3]), t.constant([6])])
        let bn = t.node(.batchNormalization(epsilon: 1e-3, layout: .nchw),
                        [y, t.constant([6]), t.constant([6]), t.constant([6]), t.constant([6], in: 0.5...2)])
        t.output(t.node(.activation(.hardSwish), [bn]))
        assertKernelsMatchReference(t)
    }

    // MARK: - GEMM

    /// The micro-kernels on sub-rectangles: row ranges not starting at 0, strides wider than
    /// the matrices, every N remainder of the 16-column panel (the 4×24 tile for 17–24, 33–40
    /// columns), with and without a residual over some of the columns and an activation.
    func testGEMMSubRectangles() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<120 {
            let m = Int.random(in: 1...30, using: &rng), k = Int.random(in: 1...40, using: &rng), n = Int.random(in: 1...44, using: &rng)
            let lda = k + Int.random(in: 0...3, using: &rng), ldc = n + Int.random(in: 0...5, using: &rng)
            let a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
            let bValues = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            let biasValues = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let useBias = Bool.random(using: &rng)
            // A residual of `skip` channels (rows of `skipStride`), or none.
            let skip = Bool.random(using: &rng) ? Int.random(in: 1...n, using: &rng) : 0
            let skipStride = skip + Int.random(in: 0...3, using: &rng)
            let skipValues = (0..<(m * skipStride)).map { _ in Float.random(in: -1...1, using: &rng) }
            // PReLU slopes per column (zero-padded to a multiple of 16, as GEMM reads them) in
            // place of the activation, or none.
            let usesSlopes = Int.random(in: 0..<3, using: &rng) == 0
            let slopeValues = (0..<((n + 15) / 16 * 16 + 16)).map { $0 < n ? Float.random(in: -2...2, using: &rng) : 0 }
            let activation: Activation = usesSlopes ? .identity : [.identity, .relu, .clip(min: -0.5, max: 0.5), .sigmoid].randomElement(using: &rng)!
            let first = Int.random(in: 0..<m, using: &rng)
            let last = Int.random(in: first...m, using: &rng)
            let b = PackedMatrix(k: k, n: n) { bValues[$0 * n + $1] }
            let sentinel: Float = 12345
            var c = [Float](repeating: sentinel, count: m * ldc)
            a.withUnsafeBufferPointer { ap in
                biasValues.withUnsafeBufferPointer { bp in
                    skipValues.withUnsafeBufferPointer { rp in
                        slopeValues.withUnsafeBufferPointer { sp in
                            c.withUnsafeMutableBufferPointer { cp in
                                let residual = skip > 0 ? Residual(pointer: rp.baseAddress!, stride: skipStride, channels: skip) : nil
                                GEMM.multiply(rows: first..<last, a: ap.baseAddress!, lda: lda, b: b, bias: useBias ? bp.baseAddress! : nil,
                                              c: cp.baseAddress!, ldc: ldc, activation: activation, residual: residual,
                                              slopes: usesSlopes ? sp.baseAddress! : nil)
                            }
                        }
                    }
                }
            }
            var worst: Float = 0
            for row in 0..<m {
                for column in 0..<ldc {
                    let actual = c[row * ldc + column]
                    guard (first..<last).contains(row), column < n else {
                        XCTAssertEqual(actual, sentinel, "m \(m) k \(k) n \(n): wrote outside rows \(first)..<\(last) at (\(row), \(column))")
                        continue
                    }
                    var expected: Float = useBias ? biasValues[column] : 0
                    for p in 0..<k { expected += a[row * lda + p] * bValues[p * n + column] }
                    if column < skip { expected += skipValues[row * skipStride + column] }
                    withUnsafeMutablePointer(to: &expected) { activation.apply($0, count: 1) }
                    if usesSlopes && expected < 0 { expected *= slopeValues[column] }
                    worst = max(worst, abs(actual - expected))
                }
            }
            XCTAssertLessThan(worst, 1e-4 * Float(k + 1), "m \(m) k \(k) n \(n) lda \(lda) ldc \(ldc) residual \(skip) \(usesSlopes ? "prelu" : "\(activation)")")
        }
    }
}

/// The sparse 1×1 path (`SparsePointwiseKernel`) against a plain sum, and through a graph.
final class SparsePointwiseKernelTests: XCTestCase {
    /// Random shapes around the kernel's edges: partial 64-pixel tiles, channels not a multiple
    /// of 8, more than one block of input channels (> 192), residuals over some channels, each
    /// epilogue, one and two threads (two threads with a single tile split the output channels).
    func testAgainstPlainSum() {
        var rng = SeededGenerator(seed: 29)
        var cases: [(pixels: Int, k: Int, n: Int)] = (0..<60).map { _ in
            (Int.random(in: 1...150, using: &rng), Int.random(in: 1...420, using: &rng), Int.random(in: 1...44, using: &rng))
        }
        // 196 and 784 pixels: two threads cut the pixels (not the tiles) in two, off tile boundaries.
        cases += [(49, 1152, 64), (196, 480, 80), (784, 40, 32), (64, 8, 8), (130, 200, 17)]
        for (pixels, k, n) in cases {
            let density = Float.random(in: 0.05...0.5, using: &rng)
            let w = (0..<(n * k)).map { _ in Float.random(in: 0...1, using: &rng) < density ? Float.random(in: -1...1, using: &rng) : 0 }
            let x = (0..<(pixels * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let biasValues = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let skip = Bool.random(using: &rng) ? Int.random(in: 1...n, using: &rng) : 0
            let skipStride = skip + Int.random(in: 0...3, using: &rng)
            let skipValues = (0..<(pixels * max(skipStride, 1))).map { _ in Float.random(in: -1...1, using: &rng) }
            let activation: Activation = [.identity, .relu, .clip(min: -0.5, max: 0.5), .sigmoid].randomElement(using: &rng)!
            let label = "pixels \(pixels) k \(k) n \(n) density \(density) residual \(skip) \(activation)"
            for threads in [1, 2] {
                guard let kernel = biasValues.withUnsafeBufferPointer({
                    SparsePointwiseKernel(inputChannels: k, outputChannels: n, weights: w, bias: $0.baseAddress!, activation: activation, threads: threads)
                }) else {
                    // Only a matrix with more than half its weights nonzero may be refused.
                    XCTAssertGreaterThan(SparsePointwiseKernel.density(w), SparsePointwiseKernel.maximumDensity, label)
                    continue
                }
                let sentinel: Float = 12345
                var whole = [Float](repeating: sentinel, count: pixels * n)
                var part = [Float](repeating: sentinel, count: pixels * n)
                let first = Int.random(in: 0..<pixels, using: &rng), last = Int.random(in: first...pixels, using: &rng)
                x.withUnsafeBufferPointer { xp in
                    skipValues.withUnsafeBufferPointer { rp in
                        let residual = skip > 0 ? Residual(pointer: rp.baseAddress!, stride: skipStride, channels: skip) : nil
                        whole.withUnsafeMutableBufferPointer {
                            kernel.run(pixels: pixels, input: xp.baseAddress!, output: $0.baseAddress!, residual: residual)
                        }
                        part.withUnsafeMutableBufferPointer {
                            kernel.run(pixels: first..<last, input: xp.baseAddress!, output: $0.baseAddress!, residual: residual)
                        }
                    }
                }
                var worst: Float = 0
                for p in 0..<pixels {
                    for co in 0..<n {
                        var expected = biasValues[co]
                        for ci in 0..<k { expected += x[p * k + ci] * w[co * k + ci] }
                        if co < skip { expected += skipValues[p * skipStride + co] }
                        withUnsafeMutablePointer(to: &expected) { activation.apply($0, count: 1) }
                        worst = max(worst, abs(whole[p * n + co] - expected))
                        // A sub-range writes exactly the whole run's values there, and nothing else.
                        XCTAssertEqual(part[p * n + co], (first..<last).contains(p) ? whole[p * n + co] : sentinel,
                                       "\(label) threads \(threads): pixels \(first)..<\(last) at (\(p), \(co))")
                    }
                }
                XCTAssertLessThan(worst, 1e-4 * Float(k + 1), "\(label) threads \(threads)")
            }
        }
    }

    /// Few channels keep the GEMM path whatever the density; enough of them may take the sparse one.
    func testChannelMinimums() {
        XCTAssertFalse(SparsePointwiseKernel.suits(inputChannels: 144, outputChannels: 24))
        XCTAssertFalse(SparsePointwiseKernel.suits(inputChannels: 16, outputChannels: 64))
        XCTAssertTrue(SparsePointwiseKernel.suits(inputChannels: 24, outputChannels: 144))
        XCTAssertTrue(SparsePointwiseKernel.suits(inputChannels: 1152, outputChannels: 192))
    }

    /// Dense weights keep the GEMM path.
    func testDenseWeightsAreRefused() {
        let bias = [Float](repeating: 0, count: 4)
        let kernel = bias.withUnsafeBufferPointer {
            SparsePointwiseKernel(inputChannels: 4, outputChannels: 4, weights: [Float](repeating: 1, count: 16), bias: $0.baseAddress!,
                                  activation: .identity, threads: 1)
        }
        XCTAssertNil(kernel)
    }

    /// A Conv whose weights are three-quarters zeros, planned in a graph, with a fused Add
    /// (residual) and an activation after it, matches the reference interpreter.
    func testSparseConvolutionInGraph() {
        for (channels, outputChannels, size) in [(24, 40, 9), (200, 32, 7), (32, 64, 12)] {
            var t = TestGraph(seed: 5)
            let x = t.input([1, channels, size, size])
            var rng = SeededGenerator(seed: UInt64(channels))
            let values = (0..<(outputChannels * channels)).map { _ in
                Float.random(in: 0...1, using: &rng) < 0.25 ? Float.random(in: -1...1, using: &rng) : 0
            }
            let w = t.constant(Tensor(shape: [outputChannels, channels, 1, 1], floats: values))
            let b = t.constant([outputChannels])
            let conv = t.node(convOp((1, 1)), [x, w, b])
            let skip = t.input([1, outputChannels, size, size])
            let sum = t.node(.binary(.add), [conv, skip])
            t.output(t.node(.activation(.relu), [sum]))
            assertKernelsMatchReference(t, "sparse 1×1 \(channels)→\(outputChannels) on \(size)×\(size)")
        }
    }
}
