import XCTest
@testable import VigilEngine
import _TestSupport

/// Broadcasting binary operators, BatchNormalization, activations, Concat and the layout
/// conversions around them, against the reference.
final class ElementwiseKernelTests: XCTestCase {
    /// A conv in front so the binary sees a channels-last input, as in real models.
    func convolved(_ t: inout TestGraph, _ shape: [Int]) -> ValueID {
        let x = t.input(shape)
        return t.node(convOp((3, 3), padding: pads(1, 1, 1, 1)), [x, t.constant([shape[1], shape[1], 3, 3]), t.constant([shape[1]])])
    }

    func binary(_ op: BinaryOperator, _ label: String, file: StaticString = #filePath, line: UInt = #line,
                _ build: (inout TestGraph) -> (ValueID, ValueID)) {
        var t = TestGraph(seed: 12)
        let (a, b) = build(&t)
        t.output(t.node(.binary(op), [a, b]))
        // Division by values near zero magnifies rounding; keep divisors away from it.
        assertKernelsMatchReference(t, rel: op == .div || op == .pow ? 1e-3 : 1e-4, "\(op) \(label)", file: file, line: line)
    }

    /// Softmax over every axis position: eight inner positions at a time plus a remainder,
    /// an inner size of 1, and logits wide enough (×40) that the maximum must be subtracted.
    func testSoftmax() {
        for (shape, axis) in [([1, 4, 16, 21], 2), ([1, 4, 16, 21], 1), ([1, 4, 16, 21], -1), ([2, 3, 10], 0), ([1, 64, 8], 1)] {
            var t = TestGraph(seed: 21)
            let wide = t.node(.binary(.mul), [t.input(shape), t.constant(Tensor(shape: [], floats: [40]))])
            t.output(t.node(.softmax(axis: axis), [wide]))
            assertKernelsMatchReference(t, rel: 1e-4, "softmax \(shape) axis \(axis)")
        }
    }

    func testBinaryBroadcasting() {
        for op in [BinaryOperator.add, .sub, .mul, .div, .max, .min] {
            binary(op, "NCHW with [1,C,1,1] constant") { t in (self.convolved(&t, [1, 13, 7, 9]), t.constant([1, 13, 1, 1], in: 0.5...2)) }
            binary(op, "[1,C,1,1] constant first") { t in (t.constant([1, 13, 1, 1]), self.convolved(&t, [1, 13, 7, 9])) }
            binary(op, "NCHW with scalar constant") { t in (self.convolved(&t, [1, 5, 7, 9]), t.constant(Tensor(shape: [], floats: [1.5]))) }
            binary(op, "NCHW with [1] constant") { t in (self.convolved(&t, [1, 5, 7, 9]), t.constant(Tensor(shape: [1], floats: [-0.75]))) }
            binary(op, "NCHW with [W] vector") { t in (self.convolved(&t, [1, 5, 7, 9]), t.constant([9], in: 0.5...2)) }
            binary(op, "NCHW with [H,1] constant") { t in (self.convolved(&t, [2, 3, 7, 9]), t.constant([7, 1], in: 0.5...2)) }
            binary(op, "same-shape computed inputs") { t in
                (self.convolved(&t, [1, 6, 5, 11]), t.node(.activation(.sigmoid), [self.convolved(&t, [1, 6, 5, 11])]))
            }
            binary(op, "computed [1,C,1,1] from GlobalAveragePool") { t in
                let y = self.convolved(&t, [1, 17, 6, 5])
                return (y, t.node(.globalAveragePool(layout: .nchw), [y]))
            }
            binary(op, "computed [1,C,1,1] first") { t in
                let y = self.convolved(&t, [1, 17, 6, 5])
                return (t.node(.globalAveragePool(layout: .nchw), [y]), y)
            }
            binary(op, "graph inputs NCHW and [1,C,1,1]") { t in (t.input([2, 4, 3, 5]), t.input([1, 4, 1, 1], in: 0.5...2)) }
            binary(op, "rank 4 with rank 3 [C,1,1] constant") { t in (self.convolved(&t, [1, 6, 4, 5]), t.constant([6, 1, 1], in: 0.5...2)) }
            binary(op, "rank 4 with rank 3 [C,H,W] constant") { t in (self.convolved(&t, [1, 6, 4, 5]), t.constant([6, 4, 5], in: 0.5...2)) }
            binary(op, "rank 3 input with rank 4 input") { t in (t.input([3, 4, 5], in: 0.5...2), self.convolved(&t, [2, 3, 4, 5])) }
            binary(op, "outer broadcast [1,C,1,1] x [1,1,H,W]") { t in (t.input([1, 5, 1, 1]), t.input([1, 1, 4, 7], in: 0.5...2)) }
        }
        binary(.pow, "pow with a scalar exponent") { t in (t.input([1, 3, 4, 5], in: 0.5...2), t.constant(Tensor(shape: [], floats: [2]))) }
    }

    /// Lower-rank computed tensors broadcast against a channels-last one.
    func testBinaryLowerRankComputed() {
        binary(.add, "rank 4 NHWC with computed [C,1,1]") { t in
            let y = self.convolved(&t, [1, 6, 4, 5])
            let pooled = t.node(.globalAveragePool(layout: .nchw), [y])
            return (y, t.node(.reshape(allowZero: false), [pooled, t.ints([6, 1, 1])]))
        }
        binary(.mul, "rank 4 NHWC with computed [1,H,W]") { t in
            let y = self.convolved(&t, [1, 6, 4, 5])
            return (y, t.input([1, 4, 5]))
        }
        binary(.mul, "rank 4 NHWC with computed [C,H,W]") { t in
            let y = self.convolved(&t, [1, 6, 4, 5])
            return (y, t.input([6, 4, 5]))
        }
    }

    func testRandomBroadcastShapes() {
        var rng = SeededGenerator(seed: 31)
        for i in 0..<40 {
            let rank = Int.random(in: 1...5, using: &rng)
            let shape = (0..<rank).map { _ in Int.random(in: 1...6, using: &rng) }
            let aShape = shape.map { Bool.random(using: &rng) ? $0 : 1 }
            let bShape = Array(shape.map { Bool.random(using: &rng) ? $0 : 1 }.dropFirst(Int.random(in: 0...rank, using: &rng) / 2))
            let op = [BinaryOperator.add, .sub, .mul, .max].randomElement(using: &rng)!
            let constantB = Bool.random(using: &rng)
            var t = TestGraph(seed: UInt64(i))
            let a = t.input(aShape)
            let b = constantB ? t.constant(bShape) : t.input(bShape)
            t.output(t.node(.binary(op), [a, b]))
            assertKernelsMatchReference(t, "\(op) \(aShape) with \(constantB ? "constant" : "input") \(bShape)")
        }
    }

    /// The broadcast kernel on physical shapes directly, every rank and broadcast pattern.
    func testBinaryKernelDirect() {
        var rng = SeededGenerator(seed: 32)
        for _ in 0..<100 {
            let rank = Int.random(in: 1...5, using: &rng)
            let shape = (0..<rank).map { _ in Int.random(in: 1...7, using: &rng) }
            let aShape = shape.map { Bool.random(using: &rng) ? $0 : 1 }
            let bShape = Array(shape.map { Bool.random(using: &rng) ? $0 : 1 }.dropFirst(Int.random(in: 0...rank, using: &rng)))
            let full = try! ReferenceDataMovement.broadcastShape(aShape, bShape)
            let a = Tensor.random(aShape, using: &rng), b = Tensor.random(bShape, in: 0.5...2, using: &rng)
            for op in [BinaryOperator.add, .sub, .mul, .div, .pow, .max, .min] {
                // pow needs a positive base.
                let lhs = op == .pow ? ReferenceElementwise.activation(a, .sigmoid) : a
                let expected = try! ReferenceElementwise.binary(lhs, b, op)
                let kernel = BinaryKernel(op: op, activation: .identity, shape: full, shapeA: aShape, shapeB: bShape)
                var out = [Float](repeating: .nan, count: full.reduce(1, *))
                lhs.floats.withUnsafeBufferPointer { ap in
                    b.floats.withUnsafeBufferPointer { bp in
                        out.withUnsafeMutableBufferPointer { kernel.run(a: ap.baseAddress!, b: bp.baseAddress!, output: $0.baseAddress!) }
                    }
                }
                let closeness = Closeness.compare(Tensor(shape: full, floats: out), expected, rel: 1e-5)
                XCTAssertTrue(closeness.passes, "\(op) \(aShape) with \(bShape): \(closeness)")
            }
        }
    }

    /// Tensors big enough (over 32K elements) that binary and activation steps split across
    /// threads, with chunks starting mid-way through broadcast patterns.
    func testLargeTensorsSplitAcrossThreads() {
        binary(.add, "large NCHW with [1,C,1,1] constant") { t in (self.convolved(&t, [1, 16, 48, 47]), t.constant([1, 16, 1, 1])) }
        binary(.mul, "large outer broadcast") { t in (t.input([1, 1, 61, 67]), t.input([1, 9, 1, 1])) }
        binary(.sub, "large rank 3 with [W]") { t in (t.input([13, 53, 59]), t.constant([59])) }
        binary(.max, "large same-shape") { t in (t.input([2, 7, 51, 49]), self.convolved(&t, [2, 7, 51, 49])) }
        var t = TestGraph(seed: 40)
        let y = convolved(&t, [1, 12, 50, 57])
        let a = t.node(.activation(.sigmoid), [t.node(.binary(.add), [y, t.input([1, 12, 50, 57])])])
        let bn = t.node(.batchNormalization(epsilon: 1e-5, layout: .nchw),
                        [a, t.constant([12]), t.constant([12]), t.constant([12]), t.constant([12], in: 0.1...2)])
        t.output(t.node(.activation(.hardSwish), [bn]))
        assertKernelsMatchReference(t, "large activation and BN chain")
    }

    /// Operands that merge into one long row (same shape, or a scalar, on either side) split
    /// into spans: sizes around the span length and not a multiple of the vector width.
    func testOneRowSplitsIntoSpans() {
        var rng = SeededGenerator(seed: 35)
        let span = BinaryKernel.spanElements
        for count in [2 * span, 2 * span + 3, 5 * span - 1, 47_113] {
            for (aCount, bCount) in [(count, count), (count, 1), (1, count)] {
                let a = Tensor.random([aCount], using: &rng), b = Tensor.random([bCount], using: &rng)
                let kernel = BinaryKernel(op: .sub, activation: .relu, shape: [count], shapeA: [aCount], shapeB: [bCount])
                XCTAssertEqual(kernel.shape, [count])
                let expected = ReferenceElementwise.activation(try! ReferenceElementwise.binary(a, b, .sub), .relu)
                for threads in [1, 2, 3] {
                    var out = [Float](repeating: .nan, count: count)
                    a.floats.withUnsafeBufferPointer { ap in
                        b.floats.withUnsafeBufferPointer { bp in
                            out.withUnsafeMutableBufferPointer { kernel.run(a: ap.baseAddress!, b: bp.baseAddress!, output: $0.baseAddress!, threads: threads) }
                        }
                    }
                    XCTAssertEqual(out, expected.floats, "\(count) elements, \(aCount) - \(bCount), \(threads) threads")
                }
            }
        }
    }

    /// The threaded broadcast kernel gives exactly the single-threaded result for any split.
    func testBinaryKernelThreadsMatchSingleThread() {
        var rng = SeededGenerator(seed: 34)
        for _ in 0..<20 {
            let rank = Int.random(in: 2...4, using: &rng)
            let shape = (0..<rank).map { _ in Int.random(in: 1...48, using: &rng) } + [Int.random(in: 1...40, using: &rng)]
            let aShape = shape.map { Bool.random(using: &rng) ? $0 : 1 }
            let bShape = shape.map { Bool.random(using: &rng) ? $0 : 1 }
            let full = try! ReferenceDataMovement.broadcastShape(aShape, bShape)
            let a = Tensor.random(aShape, using: &rng), b = Tensor.random(bShape, using: &rng)
            let kernel = BinaryKernel(op: .sub, activation: .relu, shape: full, shapeA: aShape, shapeB: bShape)
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                var out = [Float](repeating: .nan, count: full.reduce(1, *))
                a.floats.withUnsafeBufferPointer { ap in
                    b.floats.withUnsafeBufferPointer { bp in
                        out.withUnsafeMutableBufferPointer { kernel.run(a: ap.baseAddress!, b: bp.baseAddress!, output: $0.baseAddress!, threads: threads) }
                    }
                }
                results.append(out)
            }
            let expected = ReferenceElementwise.activation(try! ReferenceElementwise.binary(a, b, .sub), .relu)
            XCTAssertEqual(results[0], expected.floats, "\(aShape) - \(bShape)")
            XCTAssertEqual(results[1], results[0], "\(aShape) - \(bShape), 2 threads")
            XCTAssertEqual(results[2], results[0], "\(aShape) - \(bShape), 3 threads")
        }
    }

    // MARK: - BatchNormalization

    /// BN after an Add cannot fold into a conv: it runs as scale and shift steps.
    func testUnfusedBatchNormalization() {
        for shape in [[1, 13, 7, 9], [2, 8, 5, 5], [1, 1, 3, 4]] {
            var t = TestGraph(seed: 13)
            let c = shape[1]
            let y = convolved(&t, shape)
            let sum = t.node(.binary(.add), [y, t.input(shape)])
            let bn = t.node(.batchNormalization(epsilon: 1e-5, layout: .nchw),
                            [sum, t.constant([c]), t.constant([c]), t.constant([c]), t.constant([c], in: 0.1...2)])
            t.output(t.node(.activation(.relu), [bn]))
            assertKernelsMatchReference(t, "BN after Add \(shape)")
        }
        // On a graph input (identity layout) and on rank 2.
        for shape in [[2, 5, 3, 4], [3, 6]] {
            var t = TestGraph(seed: 14)
            let c = shape[1]
            t.output(t.node(.batchNormalization(epsilon: 1e-3, layout: .nchw),
                            [t.input(shape), t.constant([c]), t.constant([c]), t.constant([c]), t.constant([c], in: 0.1...2)]))
            assertKernelsMatchReference(t, "BN on input \(shape)")
        }
    }

    // MARK: - Activations

    func testActivationChains() {
        let activations: [Activation] = [.relu, .clip(min: -0.5, max: 0.5), .leakyRelu(alpha: 0.2), .sigmoid, .tanh,
                                         .hardSigmoid(alpha: 0.3, beta: 0.4), .hardSwish, .silu]
        // On a graph input (no producer to fuse into), odd counts for the vector tails.
        for activation in activations {
            var t = TestGraph(seed: 15)
            let x = t.input([1, 3, 5, 7], in: -4...4)
            let a = t.node(.activation(activation), [x])
            t.output(t.node(.activation(.relu), [a]))
            assertKernelsMatchReference(t, rel: 1e-5, "\(activation) chain on input")
        }
        // A chain after a conv, with a branch so the first activation cannot fuse.
        var t = TestGraph(seed: 16)
        let y = convolved(&t, [1, 5, 6, 7])
        var v = y
        for activation in activations { v = t.node(.activation(activation), [v]) }
        t.output(t.node(.binary(.add), [v, y]))
        assertKernelsMatchReference(t, "activation chain after conv")
    }

    // MARK: - Concat and layout conversions

    func testConcatChannelsMixed() {
        var t = TestGraph(seed: 17)
        let y = convolved(&t, [1, 5, 7, 9])
        let z = t.node(convOp((1, 1)), [y, t.constant([3, 5, 1, 1]), nil])
        let c = t.constant([1, 2, 7, 9])
        let x = t.input([1, 4, 7, 9])
        t.output(t.node(.concat(axis: 1), [y, c, z, x]))
        assertKernelsMatchReference(t, "Concat axis 1 computed/constant/computed/input")
    }

    func testConcatConstantFirst() {
        var t = TestGraph(seed: 18)
        let y = convolved(&t, [1, 5, 7, 9])
        t.output(t.node(.concat(axis: 1), [t.constant([1, 2, 7, 9]), y]))
        assertKernelsMatchReference(t, "Concat axis 1 constant first")
    }

    func testConcatOtherAxes() {
        for axis in [-1, 3, 2, 0, -3] {
            var t = TestGraph(seed: 19)
            let y = convolved(&t, [1, 4, 5, 6])
            let z = convolved(&t, [1, 4, 5, 6])
            t.output(t.node(.concat(axis: axis), [y, t.node(.activation(.relu), [z]), y]))
            assertKernelsMatchReference(t, "Concat axis \(axis) of conv outputs")
        }
        var t = TestGraph(seed: 20)
        t.output(t.node(.concat(axis: -1), [t.input([2, 3, 5]), t.constant([2, 3, 2]), t.input([2, 3, 1])]))
        assertKernelsMatchReference(t, "Concat axis -1 rank 3")
    }

    /// FPN neck: channels concatenated after upsampling, then a conv.
    func testConcatThenConv() {
        var t = TestGraph(seed: 21)
        let a = convolved(&t, [1, 4, 8, 6])
        let b = t.node(convOp((3, 3), strides: (2, 2), padding: pads(1, 1, 1, 1)), [a, t.constant([6, 4, 3, 3]), nil])
        let up = t.node(.resize(ResizeAttributes(mode: .nearest, coordinateTransform: .asymmetric, nearestRounding: .floor)),
                        [b, nil, t.constant(Tensor(shape: [4], floats: [1, 1, 2, 2])), nil])
        let cat = t.node(.concat(axis: 1), [a, up])
        t.output(t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), activation: .relu), [cat, t.constant([7, 10, 3, 3]), t.constant([7])]))
        assertKernelsMatchReference(t)
    }

    func testReshapeAndFlattenAfterConv() {
        var t = TestGraph(seed: 22)
        let y = convolved(&t, [1, 6, 5, 7])
        t.output(t.node(.reshape(allowZero: false), [y, t.ints([1, 6, -1])]))
        t.output(t.node(.flatten(axis: 1), [y]))
        t.output(t.node(.flatten(axis: 2), [t.node(.activation(.relu), [y])]))
        t.output(t.node(.unsqueeze, [y, t.ints([0])]))
        t.output(y)
        assertKernelsMatchReference(t)
    }

    /// Random permutations, copied with the strides as given and as `StridedCopyStep` passes
    /// them (`simplified`: size-1 axes dropped, contiguous ones merged), which sends layout
    /// changes through the tiled path; sizes up to 19 leave partial 8×8 tiles.
    func testTransposeKernelDirect() {
        var rng = SeededGenerator(seed: 33)
        for _ in 0..<100 {
            let rank = Int.random(in: 1...5, using: &rng)
            let shape = (0..<rank).map { _ in Int.random(in: 1...(rank <= 3 ? 19 : 6), using: &rng) }
            let perm = Array(0..<rank).shuffled(using: &rng)
            let x = Tensor.random(shape, using: &rng)
            let expected = ReferenceDataMovement.transpose(x, perm: perm)
            let strides = shape.stridesRowMajor
            let given = (outShape: perm.map { shape[$0] }, sourceStrides: perm.map { strides[$0] })
            for (outShape, sourceStrides) in [given, DataMovement.simplified(outShape: given.outShape, sourceStrides: given.sourceStrides)] {
                var out = [Float](repeating: .nan, count: x.count)
                x.floats.withUnsafeBufferPointer { xp in
                    out.withUnsafeMutableBufferPointer {
                        DataMovement.stridedCopy(xp.baseAddress!, outShape: outShape, sourceStrides: sourceStrides, output: $0.baseAddress!)
                    }
                }
                XCTAssertEqual(out, expected.floats, "transpose \(shape) by \(perm) as \(outShape), \(sourceStrides)")
                // In parts, as threads run it: three uneven ranges of items.
                let items = DataMovement.stridedCopyItems(outShape: outShape, sourceStrides: sourceStrides)
                let cuts = [0, items / 3, items / 3 + (items - items / 3) / 2, items]
                var parts = [Float](repeating: .nan, count: x.count)
                x.floats.withUnsafeBufferPointer { xp in
                    parts.withUnsafeMutableBufferPointer { op in
                        for i in [2, 0, 1] {
                            DataMovement.stridedCopy(xp.baseAddress!, outShape: outShape, sourceStrides: sourceStrides,
                                                     output: op.baseAddress!, items: cuts[i]..<cuts[i + 1])
                        }
                    }
                }
                XCTAssertEqual(parts, expected.floats, "transpose \(shape) by \(perm) in parts \(cuts)")
            }
        }
    }

    /// Concat and Split over ranges of outer indices, as threads run them, against the reference.
    func testConcatAndSplitByOuterRanges() throws {
        var rng = SeededGenerator(seed: 35)
        for (outer, sizes, inner) in [(37, [16, 16, 32], 1), (5, [3, 1, 7], 4), (9, [13, 5], 1), (1, [2, 3], 11)] {
            let parts = sizes.map { Tensor.random([outer, $0, inner], using: &rng) }
            let expected = try ReferenceDataMovement.concat(parts, axis: 1)
            let cuts = [0, outer / 3, outer / 3 + (outer - outer / 3) / 2, outer]
            let buffers = parts.map { part in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: part.count)
                p.initialize(from: part.floats, count: part.count)
                return p
            }
            let joined = UnsafeMutablePointer<Float>.allocate(capacity: expected.count)
            joined.initialize(repeating: .nan, count: expected.count)
            defer { buffers.forEach { $0.deallocate() }; joined.deallocate() }

            let inputs = zip(buffers, sizes).map { (UnsafePointer($0), $1) }
            inputs.withUnsafeBufferPointer { inputs in
                for i in [1, 2, 0] { DataMovement.concat(inputs, outerRange: cuts[i]..<cuts[i + 1], inner: inner, output: joined) }
            }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: joined, count: expected.count)), expected.floats, "concat \(sizes) × \(outer) × \(inner)")

            for (p, part) in zip(buffers, parts) { p.update(repeating: .nan, count: part.count) }
            let outputs = zip(buffers, sizes).map { ($0, $1) }
            outputs.withUnsafeBufferPointer { outputs in
                for i in [2, 0, 1] { DataMovement.split(joined, outerRange: cuts[i]..<cuts[i + 1], inner: inner, outputs: outputs) }
            }
            for (p, part) in zip(buffers, parts) {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: p, count: part.count)), part.floats, "split \(sizes) × \(outer) × \(inner)")
            }
        }
    }

    /// The layout changes around every ONNX model: NCHW → NHWC at the input (three channels)
    /// and back at the outputs, with sizes that are not multiples of the tile.
    func testLayoutChangesAsTiledTransposes() {
        var rng = SeededGenerator(seed: 34)
        for (shape, perm) in [([1, 3, 37, 29], [0, 2, 3, 1]), ([1, 29, 13, 64], [0, 3, 1, 2]), ([2, 5, 9, 17], [0, 2, 3, 1]),
                              ([1, 80, 1, 8400], [0, 3, 1, 2])] {
            let x = Tensor.random(shape, using: &rng)
            let expected = ReferenceDataMovement.transpose(x, perm: perm)
            let strides = shape.stridesRowMajor
            let (outShape, sourceStrides) = DataMovement.simplified(outShape: perm.map { shape[$0] }, sourceStrides: perm.map { strides[$0] })
            XCTAssertEqual(outShape.count, shape[0] == 1 ? 2 : 3, "\(shape) by \(perm) is a batch of 2-D transposes")
            var out = [Float](repeating: .nan, count: x.count)
            x.floats.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer {
                    DataMovement.stridedCopy(xp.baseAddress!, outShape: outShape, sourceStrides: sourceStrides, output: $0.baseAddress!)
                }
            }
            XCTAssertEqual(out, expected.floats, "transpose \(shape) by \(perm)")
        }
    }

    /// No fallbacks in a graph mixing every kernel family: conv, pool, resize, binary, concat.
    func testKernelGraphHasNoReferenceSteps() throws {
        var t = TestGraph(seed: 23)
        let x = t.input([1, 3, 16, 16])
        let c1 = t.node(convOp((3, 3), strides: (2, 2), padding: pads(1, 1, 1, 1), activation: .relu), [x, t.constant([8, 3, 3, 3]), t.constant([8])])
        let dw = t.node(convOp((3, 3), padding: pads(1, 1, 1, 1), groups: 8, activation: .hardSwish), [c1, t.constant([8, 1, 3, 3]), t.constant([8])])
        let p = t.node(.maxPool2D(poolAttributes((2, 2), strides: (2, 2))), [dw])
        let ap = t.node(.averagePool2D(poolAttributes((3, 3), padding: pads(1, 1, 1, 1))), [p])
        let up = t.node(.resize(ResizeAttributes(mode: .linear, coordinateTransform: .halfPixel, nearestRounding: .roundPreferFloor)),
                        [ap, nil, t.constant(Tensor(shape: [4], floats: [1, 1, 2, 2])), nil])
        let gap = t.node(.globalAveragePool(layout: .nchw), [up])
        let gated = t.node(.binary(.mul), [dw, t.node(.activation(.sigmoid), [gap])])
        let sum = t.node(.binary(.add), [gated, up])
        let cat = t.node(.concat(axis: 1), [sum, c1])
        let ct = ConvTranspose2DAttributes(layout: .nchw, kernel: (2, 2), strides: (2, 2), dilations: (1, 1), pads: (0, 0, 0, 0),
                                           outputPadding: (0, 0), groups: 1, activation: .sigmoid)
        t.output(t.node(.convTranspose2D(ct), [cat, t.constant([16, 2, 2, 2]), t.constant([2])]))
        let session = try InferenceSession(graph: t.graph, inputShapes: t.feeds.mapValues(\.shape), threads: 2)
        XCTAssertEqual(session.referenceStepNames, [])
        assertKernelsMatchReference(t)
    }
}

