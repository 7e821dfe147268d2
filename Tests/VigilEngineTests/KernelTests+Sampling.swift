import XCTest
@testable import VigilEngine
import _TestSupport

/// Pooling and Resize kernels against the reference.
final class SamplingKernelTests: XCTestCase {
    func pool(_ x: [Int], _ a: Pool2DAttributes, isMax: Bool, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) {
        var t = TestGraph(seed: seed)
        let input = t.input(x)
        t.output(t.node(isMax ? .maxPool2D(a) : .averagePool2D(a), [input]))
        assertKernelsMatchReference(t, rel: 1e-5,
                                    "\(isMax ? "MaxPool" : "AveragePool") x\(x) k\(a.kernel) s\(a.strides) \(a.padding) ceil \(a.ceilMode) includePad \(a.countIncludePad)",
                                    file: file, line: line)
    }

    func testPoolingCases() {
        let cases: [([Int], Pool2DAttributes)] = [
            ([1, 8, 8, 8], poolAttributes((2, 2), strides: (2, 2))),
            ([1, 5, 7, 9], poolAttributes((3, 3), strides: (2, 2), padding: pads(1, 1, 1, 1))),
            ([2, 13, 7, 9], poolAttributes((3, 3), strides: (1, 1), padding: pads(1, 1, 1, 1))),
            ([1, 3, 7, 9], poolAttributes((2, 2), strides: (2, 2), ceilMode: true)),
            ([1, 3, 7, 9], poolAttributes((3, 3), strides: (2, 2), padding: pads(1, 1, 1, 1), ceilMode: true)),
            ([1, 4, 6, 11], poolAttributes((3, 2), strides: (2, 3), padding: pads(0, 1, 2, 0))),
            ([1, 4, 6, 11], poolAttributes((3, 2), strides: (2, 3), padding: pads(1, 0, 1, 1), ceilMode: true)),
            ([1, 17, 9, 7], poolAttributes((3, 3), strides: (2, 2), padding: .sameUpper)),
            ([1, 17, 9, 7], poolAttributes((4, 4), strides: (3, 3), padding: .sameLower)),
            ([1, 2, 5, 5], poolAttributes((5, 5), strides: (1, 1), padding: pads(2, 2, 2, 2))),
            ([1, 2, 1, 1], poolAttributes((1, 1))),
            // 2×2 windows (a path of their own for max) over channels that are not a multiple of
            // 8 (a last 8-channel block overlapping its neighbour), with a ceil-mode edge of 1×2.
            ([1, 12, 6, 8], poolAttributes((2, 2), strides: (2, 2))),
            ([2, 28, 7, 9], poolAttributes((2, 2), strides: (2, 2), ceilMode: true)),
        ]
        for (shape, a) in cases {
            for includePad in [false, true] {
                var attributes = a
                attributes.countIncludePad = includePad
                pool(shape, attributes, isMax: false)
            }
            pool(shape, a, isMax: true)
        }
    }

    /// Pads as large as the kernel put whole windows in the padding: max is -inf there,
    /// average 0 (the reference's answer; ONNX leaves it unspecified).
    func testWindowsEntirelyInPadding() {
        pool([1, 3, 4, 4], poolAttributes((2, 2), strides: (2, 2), padding: pads(2, 2, 2, 2)), isMax: false)
        pool([1, 3, 4, 4], poolAttributes((2, 2), strides: (2, 2), padding: pads(2, 2, 2, 2), countIncludePad: true), isMax: false)
        pool([1, 3, 4, 5], poolAttributes((2, 2), strides: (3, 3), padding: pads(0, 0, 3, 3), ceilMode: true), isMax: false)
        // Pads larger than the kernel: windows start before the input's first row and after its last.
        for includePad in [false, true] {
            pool([1, 5, 4, 4], poolAttributes((2, 2), strides: (2, 2), padding: pads(3, 3, 4, 4), countIncludePad: includePad), isMax: false)
            pool([1, 5, 4, 6], poolAttributes((2, 3), strides: (1, 2), padding: pads(3, 4, 3, 5), ceilMode: true, countIncludePad: includePad), isMax: false)
        }
    }

    func testRandomPooling() {
        var rng = SeededGenerator(seed: 21)
        for i in 0..<30 {
            let kernel = (Int.random(in: 1...4, using: &rng), Int.random(in: 1...4, using: &rng))
            let strides = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng))
            let padding: Padding
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: padding = .sameUpper
            case 1: padding = .sameLower
            default: padding = pads(Int.random(in: 0..<kernel.0, using: &rng), Int.random(in: 0..<kernel.1, using: &rng),
                                    Int.random(in: 0..<kernel.0, using: &rng), Int.random(in: 0..<kernel.1, using: &rng))
            }
            let a = poolAttributes(kernel, strides: strides, padding: padding, ceilMode: Bool.random(using: &rng),
                                   countIncludePad: Bool.random(using: &rng))
            let shape = [Int.random(in: 1...2, using: &rng), Int.random(in: 1...19, using: &rng),
                         Int.random(in: kernel.0...12, using: &rng), Int.random(in: kernel.1...12, using: &rng)]
            pool(shape, a, isMax: Bool.random(using: &rng), seed: UInt64(i))
        }
    }

    func testGlobalAveragePool() {
        for shape in [[1, 8, 7, 9], [2, 13, 1, 5], [1, 1, 4, 4], [1, 33, 3, 3]] {
            var t = TestGraph(seed: 2)
            t.output(t.node(.globalAveragePool(layout: .nchw), [t.input(shape)]))
            assertKernelsMatchReference(t, rel: 1e-5, "GlobalAveragePool \(shape)")
        }
    }

    /// The squeeze-excite block of mobile nets: conv → GAP → 1×1 conv → hardSigmoid → Mul with the conv output.
    func testSqueezeExcite() {
        var t = TestGraph(seed: 3)
        let x = t.input([1, 6, 7, 9])
        let y = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), activation: .relu), [x, t.constant([12, 6, 3, 3]), t.constant([12])])
        let pooled = t.node(.globalAveragePool(layout: .nchw), [y])
        let s = t.node(convOp((1, 1), activation: .relu), [pooled, t.constant([3, 12, 1, 1]), t.constant([3])])
        let e = t.node(convOp((1, 1)), [s, t.constant([12, 3, 1, 1]), t.constant([12])])
        let gate = t.node(.activation(.hardSigmoid(alpha: 0.2, beta: 0.5)), [e])
        t.output(t.node(.binary(.mul), [y, gate]))
        assertKernelsMatchReference(t)
    }

    // MARK: - Resize

    func resize(_ x: [Int], scales: [Float]? = nil, sizes: [Int]? = nil, _ mode: ResizeAttributes.Mode,
                _ transform: ResizeAttributes.CoordinateTransform, _ rounding: ResizeAttributes.NearestRounding = .roundPreferFloor,
                file: StaticString = #filePath, line: UInt = #line) {
        var t = TestGraph(seed: 4)
        let input = t.input(x)
        let s = scales.map { t.constant(Tensor(shape: [4], floats: $0)) }
        let z = sizes.map { t.ints($0) }
        let a = ResizeAttributes(mode: mode, coordinateTransform: transform, nearestRounding: rounding)
        t.output(t.node(.resize(a), [input, nil, s, z]))
        assertKernelsMatchReference(t, rel: 1e-5, "Resize x\(x) scales \(scales ?? []) sizes \(sizes ?? []) \(mode) \(transform) \(rounding)",
                                    file: file, line: line)
    }

    func testResizeNearest() {
        resize([1, 3, 5, 7], scales: [1, 1, 2, 2], .nearest, .asymmetric, .floor)
        resize([2, 5, 4, 3], scales: [1, 1, 3, 2], .nearest, .asymmetric, .floor)
        resize([1, 3, 5, 7], scales: [1, 1, 2, 2], .nearest, .halfPixel, .roundPreferFloor)
        resize([1, 3, 5, 7], scales: [1, 1, 2, 2], .nearest, .halfPixel, .roundPreferCeil)
        resize([1, 9, 5, 7], sizes: [1, 9, 8, 11], .nearest, .halfPixel, .roundPreferFloor)
        resize([1, 9, 5, 7], sizes: [1, 9, 3, 4], .nearest, .asymmetric, .floor)
        resize([1, 2, 6, 6], sizes: [1, 2, 13, 9], .nearest, .alignCorners, .roundPreferFloor)
        resize([1, 2, 6, 6], sizes: [1, 2, 13, 9], .nearest, .tfHalfPixelForNN, .ceil)
        resize([1, 2, 6, 6], scales: [1, 1, 0.5, 0.5], .nearest, .asymmetric, .floor)
    }

    func testResizeLinear() {
        for transform in [ResizeAttributes.CoordinateTransform.halfPixel, .pytorchHalfPixel, .alignCorners, .asymmetric] {
            resize([1, 3, 5, 7], scales: [1, 1, 2, 2], .linear, transform)
            resize([2, 17, 4, 3], sizes: [2, 17, 9, 7], .linear, transform)
            resize([1, 8, 6, 9], sizes: [1, 8, 4, 5], .linear, transform)
            resize([1, 2, 5, 5], sizes: [1, 2, 1, 9], .linear, transform)
            resize([1, 2, 3, 3], scales: [1, 1, 2.5, 1.5], .linear, transform)
        }
    }

    /// The FPN pattern of detection necks: upsample a coarse map and add it to a finer one.
    func testResizeThenAdd() {
        var t = TestGraph(seed: 6)
        let fine = t.input([1, 8, 10, 14])
        let coarse = t.node(convOp((3, 3), strides: (2, 2), padding: pads(1, 1, 1, 1)), [fine, t.constant([8, 8, 3, 3]), nil])
        let a = ResizeAttributes(mode: .nearest, coordinateTransform: .asymmetric, nearestRounding: .floor)
        let up = t.node(.resize(a), [coarse, nil, t.constant(Tensor(shape: [4], floats: [1, 1, 2, 2])), nil])
        t.output(t.node(.binary(.add), [fine, up]))
        assertKernelsMatchReference(t)
    }
}

/// DepthToSpace in both channel orders and both logical layouts, against the reference.
final class DepthToSpaceKernelTests: XCTestCase {
    func testBothOrdersAndLayouts() throws {
        for (layout, columnRowDepth, block, shape) in [(SpatialLayout.nchw, false, 2, [1, 12, 5, 7]), (.nchw, true, 2, [2, 8, 3, 4]),
                                                       (.nhwc, false, 2, [1, 6, 5, 32]), (.nhwc, false, 3, [1, 4, 3, 18]),
                                                       (.nhwc, true, 2, [1, 3, 4, 20]),
                                                       // Runs of 2, 4 and 8 floats (one, two and four channels out).
                                                       (.nhwc, false, 2, [1, 5, 7, 4]), (.nchw, false, 2, [1, 8, 3, 6]),
                                                       (.nhwc, false, 2, [2, 4, 5, 16])] {
            var t = TestGraph(seed: 41)
            let x = t.input(shape)
            t.output(t.node(.depthToSpace(blockSize: block, columnRowDepth: columnRowDepth, layout: layout), [x]))
            assertKernelsMatchReference(t, rel: 0, "\(layout) crd \(columnRowDepth) block \(block) \(shape)")
        }
    }
}

/// Slice with constant parameters runs as a strided copy, against the reference.
final class SliceKernelTests: XCTestCase {
    func testStridedAndNegativeSlices() {
        // (starts, ends, axes, steps) on a [2, 5, 6, 7] input.
        let cases: [([Int], [Int], [Int]?, [Int]?)] = [
            ([0, 2], [1, 5], [0, 1], nil),                      // YOLO head: a channel range
            ([1, -1, 0], [Int(Int32.max), 0, 7], [1, 2, 3], [2, -2, 3]),
            ([-3], [-1], [-1], nil),
            ([5, 4], [-9, -100], [1, 2], [-1, -2]),
            ([0], [0], [2], nil),                                // empty
        ]
        for (starts, ends, axes, steps) in cases {
            var t = TestGraph(seed: 61)
            let x = t.input([2, 5, 6, 7])
            let y = t.node(convOp((1, 1)), [x, t.constant([5, 5, 1, 1]), t.constant([5])])
            var inputs: [ValueID?] = [y, t.ints(starts), t.ints(ends)]
            if let axes { inputs.append(t.ints(axes)) } else if steps != nil { inputs.append(nil) }
            if let steps { inputs.append(t.ints(steps)) }
            t.output(t.node(.slice, inputs))
            assertKernelsMatchReference(t, rel: 1e-5, "slice \(starts) \(ends) \(String(describing: axes)) \(String(describing: steps))")
        }
    }
}
