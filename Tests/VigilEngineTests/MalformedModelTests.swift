import Foundation
import XCTest
@testable import VigilEngine
import _TestSupport

/// Bad models and bad inputs end in a thrown `EngineError`, never in a crash, a hang or
/// silently wrong output.
final class MalformedModelTests: XCTestCase {
    static let modelPath = PackagePaths.path("Models/ppocr_det_v4.onnx")
    static let fixtures = PackagePaths.path("Tests/VigilEngineTests/Fixtures/malformed")

    func modelBytes() throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: Self.modelPath) else {
            throw XCTSkip("\(Self.modelPath) is not present")
        }
        return [UInt8](data)
    }

    // MARK: - Fuzzing

    /// Flips 1 to 20 bytes of PP-OCR det per iteration, then imports, plans and runs the model.
    /// Each iteration aims its flips at one region: anywhere (in practice the weights, 99% of
    /// the file), scalar values (dims, attributes, shapes and scales: the protobuf stays
    /// decodable, so the planner and kernels see lies), or the structure between weights
    /// (names, tags, lengths).
    ///
    /// A crash kills the test process; rerun with VIGIL_FUZZ_VERBOSE=1 to see the iteration.
    /// VIGIL_FUZZ_ITERATIONS, VIGIL_FUZZ_SEED and VIGIL_FUZZ_MAX_FLIPS (fewer flips reach deeper) widen the search locally.
    func testCorruptedModelsThrowOrRun() throws {
        let original = try modelBytes()
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["VIGIL_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 200
        let seed = environment["VIGIL_FUZZ_SEED"].flatMap(UInt64.init) ?? 2024
        let verbose = environment["VIGIL_FUZZ_VERBOSE"] == "1"
        let maximumFlips = max(1, environment["VIGIL_FUZZ_MAX_FLIPS"].flatMap(Int.init) ?? 20)
        let reference = try ONNXImporter.importModel(data: Data(original))
        let layout = ONNXWireLayout(original)
        let structure = layout.structure(count: original.count)
        XCTAssertGreaterThan(layout.values.count, 500)
        XCTAssertGreaterThan(structure.count, 1000)

        var rng = SeededGenerator(seed: seed)
        var outcomes: [String: Int] = [:]
        let regions = ["anywhere", "values", "structure"]
        for iteration in 0..<iterations {
            var bytes = original
            var flips: [Int] = []
            let region = regions[iteration % regions.count]
            for _ in 0..<Int.random(in: 1...maximumFlips, using: &rng) {
                let offset: Int, mask: UInt8
                switch region {
                case "anywhere": (offset, mask) = (Int.random(in: 0..<bytes.count, using: &rng), 0xff)
                case "values": (offset, mask) = layout.values.randomElement(using: &rng)!
                default: (offset, mask) = (structure.randomOffset(using: &rng), 0xff)
                }
                var flip: UInt8 = 0
                while flip == 0 { flip = UInt8.random(in: 1...255, using: &rng) & mask }
                bytes[offset] ^= flip
                flips.append(offset)
            }
            let label = "iteration \(iteration) (seed \(seed)), \(region) flips at \(flips.sorted())"
            if verbose { print(label) }
            let watchdog = Watchdog(seconds: 30, label)
            defer { watchdog.cancel() }
            do {
                let graph = try ONNXImporter.importModel(data: Data(bytes))
                let shapes = Dictionary(graph.inputDescriptions.map { ($0.name, [1, 3, 32, 32]) }, uniquingKeysWith: { a, _ in a })
                let session = try InferenceSession(graph: graph, inputShapes: shapes, threads: 2)
                var inputRNG = SeededGenerator(seed: UInt64(iteration))
                let inputs = Dictionary(session.inputs.map { ($0.name, Tensor.random($0.shape, using: &inputRNG)) }, uniquingKeysWith: { a, _ in a })
                let outputs = try session.run(inputs)
                for (name, shape) in session.outputs {
                    XCTAssertEqual(outputs[name]?.shape, shape, label)
                }
                // What the model computes is what the oracle computes; NaN only where the weights
                // were corrupted or the oracle agrees.
                let expected: [String: Tensor]
                do {
                    expected = try ReferenceInterpreter.run(graph, inputs: inputs)
                } catch {
                    XCTFail("\(label): planned session ran a model the reference rejects: \(error)")
                    continue
                }
                let hasNaN = outputs.values.contains { $0.floats.contains(where: \.isNaN) }
                let weightsIntact = constantsEqual(graph, reference)
                if hasNaN && !weightsIntact {
                    outcomes[region + " ran, NaN from corrupted weights", default: 0] += 1
                } else if hasNaN {
                    XCTAssertTrue(expected.values.contains { $0.floats.contains(where: \.isNaN) },
                                  "\(label): NaN output from intact weights that the reference does not produce")
                    outcomes[region + " ran, NaN also in reference", default: 0] += 1
                } else if !weightsIntact {
                    // Weights blown up to 1e30 make summation order decide signs: no parity to expect.
                    outcomes[region + " ran, corrupted weights", default: 0] += 1
                } else {
                    for (name, actual) in outputs {
                        guard let e = expected[name], e.floats.allSatisfy(\.isFinite) else { continue }
                        let closeness = Closeness.compare(actual, e, rel: 1e-3)
                        // An absolute floor: saturated sigmoids give 0 in one and a denormal in the other.
                        XCTAssertTrue(closeness.passes || closeness.maxAbsDiff <= 1e-6, "\(label): output \(name) differs from the reference: \(closeness)")
                    }
                    outcomes[region + " ran", default: 0] += 1
                }
            } catch let error as EngineError {
                outcomes[region + " threw " + Self.caseName(error), default: 0] += 1
            } catch {
                XCTFail("\(label): threw \(type(of: error)) instead of EngineError: \(error)")
            }
        }
        if verbose { print("outcomes:", outcomes.sorted { $0.key < $1.key }) }
        XCTAssertEqual(outcomes.values.reduce(0, +), iterations)
    }

    static func caseName(_ error: EngineError) -> String {
        Mirror(reflecting: error).children.first?.label ?? "\(error)"
    }

    /// Whether two graphs hold the same float constants by name.
    func constantsEqual(_ a: Graph, _ b: Graph) -> Bool {
        func table(_ g: Graph) -> [String: [UInt32]] {
            var result: [String: [UInt32]] = [:]
            for (id, t) in g.constants where t.dataType == .float32 { result[g.values[id].name] = t.floats.map(\.bitPattern) }
            return result
        }
        return table(a) == table(b)
    }

    // MARK: - Inconsistent graphs

    /// Graphs an importer could produce from a lying model: both the planner and the reference
    /// interpreter must throw an EngineError instead of trusting the numbers.
    func assertRejected(_ label: String, file: StaticString = #filePath, line: UInt = #line, _ build: (inout TestGraph) -> ValueID) {
        var t = TestGraph(seed: 1)
        t.output(build(&t))
        do {
            let session = try InferenceSession(graph: t.graph, inputShapes: t.feeds.mapValues(\.shape), threads: 2)
            _ = try session.run(t.feeds)
            XCTFail("\(label): planned session accepted the graph", file: file, line: line)
        } catch {
            XCTAssertTrue(error is EngineError, "\(label): planner threw \(error)", file: file, line: line)
        }
        do {
            _ = try ReferenceInterpreter.run(t.graph, inputs: t.feeds)
            XCTFail("\(label): reference accepted the graph", file: file, line: line)
        } catch {
            XCTAssertTrue(error is EngineError, "\(label): reference threw \(error)", file: file, line: line)
        }
    }

    func testInconsistentConvolutionsAreRejected() {
        assertRejected("kernel attribute larger than the weights") { t in
            t.node(convOp((3, 3)), [t.input([1, 3, 8, 8]), t.constant([4, 3, 1, 1]), nil])
        }
        assertRejected("kernel attribute smaller than the weights") { t in
            t.node(convOp((1, 1)), [t.input([1, 3, 8, 8]), t.constant([4, 3, 3, 3]), nil])
        }
        assertRejected("groups do not divide the input channels") { t in
            t.node(convOp((3, 3), groups: 2), [t.input([1, 3, 8, 8]), t.constant([4, 1, 3, 3]), nil])
        }
        assertRejected("zero groups") { t in
            t.node(convOp((3, 3), groups: 0), [t.input([1, 3, 8, 8]), t.constant([4, 3, 3, 3]), nil])
        }
        assertRejected("zero stride") { t in
            t.node(convOp((3, 3), strides: (0, 1)), [t.input([1, 3, 8, 8]), t.constant([4, 3, 3, 3]), nil])
        }
        assertRejected("bias of the wrong length") { t in
            t.node(convOp((3, 3)), [t.input([1, 3, 8, 8]), t.constant([4, 3, 3, 3]), t.constant([5])])
        }
        assertRejected("depthwise bias of the wrong length") { t in
            t.node(convOp((3, 3), groups: 8), [t.input([1, 8, 8, 8]), t.constant([8, 1, 3, 3]), t.constant([3])])
        }
        assertRejected("3-D weights") { t in
            t.node(convOp((3, 3)), [t.input([1, 3, 8, 8]), t.constant([4, 3, 3]), nil])
        }
        assertRejected("3-D input") { t in
            t.node(convOp((3, 3)), [t.input([3, 8, 8]), t.constant([4, 3, 3, 3]), nil])
        }
        assertRejected("kernel larger than the padded input") { t in
            t.node(convOp((5, 5)), [t.input([1, 3, 3, 3]), t.constant([4, 3, 5, 5]), nil])
        }
        func transposed(_ kernel: (Int, Int), groups: Int = 1, pads p: (Int, Int, Int, Int) = (0, 0, 0, 0)) -> Operator {
            .convTranspose2D(ConvTranspose2DAttributes(layout: .nchw, kernel: kernel, strides: (2, 2), dilations: (1, 1), pads: p,
                                                       outputPadding: (0, 0), groups: groups, activation: .identity))
        }
        assertRejected("ConvTranspose kernel attribute against weights") { t in
            t.node(transposed((3, 3)), [t.input([1, 4, 5, 5]), t.constant([4, 2, 2, 2]), nil])
        }
        assertRejected("ConvTranspose zero groups") { t in
            t.node(transposed((2, 2), groups: 0), [t.input([1, 4, 5, 5]), t.constant([4, 2, 2, 2]), nil])
        }
        assertRejected("ConvTranspose groups do not divide the channels") { t in
            t.node(transposed((2, 2), groups: 3), [t.input([1, 4, 5, 5]), t.constant([4, 2, 2, 2]), nil])
        }
        assertRejected("ConvTranspose bias of the wrong length") { t in
            t.node(transposed((2, 2)), [t.input([1, 4, 5, 5]), t.constant([4, 2, 2, 2]), t.constant([7])])
        }
        assertRejected("ConvTranspose negative pads") { t in
            t.node(transposed((2, 2), pads: (-1, 0, 0, 0)), [t.input([1, 4, 5, 5]), t.constant([4, 2, 2, 2]), nil])
        }
    }

    func testInconsistentNormalizationAndPoolingAreRejected() {
        for folded in [true, false] {
            for bad in 1...4 {
                assertRejected("BatchNormalization parameter \(bad) too short, \(folded ? "after a conv" : "unfused")") { t in
                    let x = t.input([1, 4, 5, 5])
                    let y = folded ? t.node(convOp((1, 1)), [x, t.constant([4, 4, 1, 1]), nil]) : t.node(.binary(.add), [x, x])
                    let params = (1...4).map { t.constant([$0 == bad ? 2 : 4], in: 0.5...1) }
                    return t.node(.batchNormalization(epsilon: 1e-5, layout: .nchw), [y] + params)
                }
            }
        }
        assertRejected("pooling kernel of zero") { t in
            t.node(.maxPool2D(poolAttributes((0, 2))), [t.input([1, 3, 6, 6])])
        }
        assertRejected("pooling stride of zero") { t in
            t.node(.averagePool2D(poolAttributes((2, 2), strides: (2, 0))), [t.input([1, 3, 6, 6])])
        }
        assertRejected("pooling window larger than the input") { t in
            t.node(.maxPool2D(poolAttributes((7, 7))), [t.input([1, 3, 6, 6])])
        }
        assertRejected("GlobalAveragePool on 2-D") { t in
            t.node(.globalAveragePool(layout: .nchw), [t.input([3, 6])])
        }
    }

    func testInconsistentResizeIsRejected() {
        let nearest = ResizeAttributes(mode: .nearest, coordinateTransform: .asymmetric, nearestRounding: .floor)
        let cases: [(String, [Float]?, [Int]?)] = [
            ("channel scale", [1, 2, 2, 2], nil),
            ("batch scale", [2, 1, 2, 2], nil),
            ("huge scale", [1, 1, 1e30, 1e30], nil),
            ("NaN scale", [1, 1, .nan, 2], nil),
            ("negative scale", [1, 1, -2, 2], nil),
            ("scale to zero size", [1, 1, 1e-6, 1], nil),
            ("three scales", [1, 2, 2], nil),
            ("channel size", nil, [1, 5, 12, 12]),
            ("sizes of the wrong rank", nil, [12, 12]),
            ("zero size", nil, [1, 3, 0, 12]),
            ("absurd size", nil, [1, 3, 1 << 40, 1 << 40]),
        ]
        for (label, scales, sizes) in cases {
            assertRejected("Resize \(label)") { t in
                let x = t.input([1, 3, 6, 6])
                return t.node(.resize(nearest), [x, nil, scales.map { t.constant(Tensor(shape: [$0.count], floats: $0)) }, sizes.map { t.ints($0) }])
            }
        }
    }

    func testInconsistentDataMovementIsRejected() {
        assertRejected("Concat of different spatial sizes") { t in
            t.node(.concat(axis: 1), [t.input([1, 3, 6, 6]), t.input([1, 2, 6, 5])])
        }
        assertRejected("Concat of different ranks") { t in
            t.node(.concat(axis: 1), [t.input([1, 3, 6, 6]), t.input([1, 2, 6])])
        }
        for axis in [4, -5, 99] {
            assertRejected("Concat axis \(axis)") { t in t.node(.concat(axis: axis), [t.input([1, 3, 6, 6]), t.input([1, 3, 6, 6])]) }
            assertRejected("Softmax axis \(axis)") { t in t.node(.softmax(axis: axis), [t.input([1, 3, 6, 6])]) }
            // Flatten takes axes up to the rank, Unsqueeze up to the output rank.
            let beyond = axis > 0 ? axis + 1 : axis - 1
            assertRejected("Flatten axis \(beyond)") { t in t.node(.flatten(axis: beyond), [t.input([1, 3, 6, 6])]) }
            assertRejected("Gather axis \(axis)") { t in t.node(.gather(axis: axis), [t.input([1, 3, 6, 6]), t.ints([0])]) }
            assertRejected("Split axis \(axis)") { t in t.node(.split(axis: axis), [t.input([1, 3, 6, 6]), t.ints([3])]) }
            assertRejected("Slice axis \(axis)") { t in t.node(.slice, [t.input([1, 3, 6, 6]), t.ints([0]), t.ints([1]), t.ints([axis])]) }
            assertRejected("Unsqueeze axis \(beyond)") { t in t.node(.unsqueeze, [t.input([1, 3, 6, 6]), t.ints([beyond])]) }
            assertRejected("ReduceMean axis \(axis)") { t in t.node(.reduceMean(keepDims: true), [t.input([1, 3, 6, 6]), t.ints([axis])]) }
            // The same operators on constants are folded at plan time: the folder must not trust them either.
            assertRejected("folded Softmax axis \(axis)") { t in
                t.node(.binary(.add), [t.input([1, 3]), t.node(.softmax(axis: axis), [t.constant([1, 3])])])
            }
            assertRejected("folded Gather axis \(axis)") { t in
                t.node(.binary(.add), [t.input([1, 3]), t.node(.gather(axis: axis), [t.constant([1, 3]), t.ints([0])])])
            }
        }
        assertRejected("Unsqueeze repeated axes") { t in t.node(.unsqueeze, [t.input([1, 3, 6, 6]), t.ints([0, 0])]) }
        assertRejected("Slice repeated axes") { t in t.node(.slice, [t.input([1, 3, 6, 6]), t.ints([0, 0]), t.ints([1, 1]), t.ints([1, 1])]) }
        assertRejected("Gather index out of range") { t in t.node(.gather(axis: 1), [t.input([1, 3, 6, 6]), t.ints([3])]) }
        assertRejected("Split sizes that do not add up") { t in t.node(.split(axis: 1), [t.input([1, 3, 6, 6]), t.ints([1, 1])]) }
        assertRejected("Reshape to another element count") { t in t.node(.reshape(allowZero: false), [t.input([1, 3, 6, 6]), t.ints([1, 3, 37])]) }
        assertRejected("Reshape with two -1") { t in t.node(.reshape(allowZero: false), [t.input([1, 3, 6, 6]), t.ints([-1, -1])]) }
        assertRejected("Transpose with a bad permutation") { t in t.node(.transpose(perm: [0, 1, 1, 2]), [t.input([1, 3, 6, 6])]) }
        assertRejected("Pad with the wrong count") { t in t.node(.pad(mode: .constant), [t.input([1, 3, 6, 6]), t.ints([1, 1])]) }
        assertRejected("DepthToSpace block 0") { t in
            t.node(.depthToSpace(blockSize: 0, columnRowDepth: false, layout: .nchw), [t.input([1, 4, 3, 3])])
        }
        assertRejected("DepthToSpace channels not divisible") { t in
            t.node(.depthToSpace(blockSize: 2, columnRowDepth: false, layout: .nchw), [t.input([1, 6, 3, 3])])
        }
        assertRejected("Binary shapes that do not broadcast") { t in t.node(.binary(.add), [t.input([1, 3, 6, 6]), t.input([1, 3, 6, 5])]) }
        assertRejected("PRelu slope that does not broadcast") { t in t.node(.prelu, [t.input([1, 3, 6, 6]), t.constant([4, 1, 1])]) }
        assertRejected("MatMul inner sizes") { t in t.node(.matMul, [t.input([2, 3]), t.constant([4, 5])]) }
        assertRejected("Gemm C that does not broadcast") { t in
            t.node(.gemm(alpha: 1, beta: 1, transA: false, transB: false), [t.input([2, 3]), t.constant([3, 4]), t.constant([2])])
        }
        assertRejected("Expand to an incompatible shape") { t in t.node(.expand, [t.input([1, 3, 2]), t.ints([1, 4, 2])]) }
        assertRejected("ConstantOfShape of absurd size") { t in
            t.node(.binary(.add), [t.input([1]), t.node(.constantOfShape(value: Tensor(shape: [1], floats: [0])), [t.ints([1 << 20, 1 << 20, 1 << 20])])])
        }
        assertRejected("a node reading a value nothing computes") { t in
            let orphan = t.graph.addValue(name: "orphan")
            return t.node(.binary(.add), [t.input([1, 3]), orphan])
        }
    }

    /// Split with more sizes than outputs: the plan must not index outputs that do not exist.
    func testSplitWithMoreSizesThanOutputsIsRejected() {
        var t = TestGraph(seed: 2)
        let x = t.input([1, 6, 4, 4])
        let outputs = [t.graph.addValue(name: "a"), t.graph.addValue(name: "b")]
        t.graph.nodes.append(Node(name: "split", op: .split(axis: 1), inputs: [x, t.ints([2, 2, 2])], outputs: outputs))
        t.output(outputs[0])
        XCTAssertThrowsError(try InferenceSession(graph: t.graph, inputShapes: ["input0": [1, 6, 4, 4]], threads: 1)) { error in
            XCTAssertTrue(error is EngineError, "\(error)")
        }
    }

    // MARK: - Damaged files

    func testTruncatedModelIsMalformed() throws {
        let bytes = try modelBytes()
        for fraction in [0.5, 0.1, 0.9] {
            let prefix = Data(bytes.prefix(Int(Double(bytes.count) * fraction)))
            XCTAssertThrowsError(try ONNXImporter.importModel(data: prefix)) { error in
                guard case EngineError.malformedModel(let format, _)? = error as? EngineError else {
                    return XCTFail("truncated to \(fraction): expected malformedModel, got \(error)")
                }
                XCTAssertEqual(format, "ONNX")
            }
        }
    }

    func testRandomBytesAreRejected() {
        var rng = SeededGenerator(seed: 5)
        for count in [0, 1, 2, 7, 100, 4096, 100_000] {
            let data = Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
            XCTAssertThrowsError(try ONNXImporter.importModel(data: data), "\(count) random bytes") { error in
                XCTAssertTrue(error is EngineError, "\(count) random bytes: \(error)")
            }
        }
    }

    func testUnsupportedOperatorNamesOpAndNode() throws {
        let path = Self.fixtures + "/unsupported_op.onnx"
        XCTAssertThrowsError(try ONNXImporter.load(path: path)) { error in
            guard let engineError = error as? EngineError, case .unsupportedOperator(let name, let node, let opset) = engineError else {
                return XCTFail("expected unsupportedOperator, got \(error)")
            }
            XCTAssertEqual(name, "FancyOp")
            XCTAssertEqual(node, "fancy_node")
            XCTAssertEqual(opset, 13)
            XCTAssertTrue(engineError.description.contains("FancyOp") && engineError.description.contains("fancy_node"), engineError.description)
        }
    }

    func testTensorDimsThatOverflowAreMalformed() {
        XCTAssertThrowsError(try ONNXImporter.load(path: Self.fixtures + "/overflowing_dims.onnx")) { error in
            guard case EngineError.malformedModel(_, let reason)? = error as? EngineError else {
                return XCTFail("expected malformedModel, got \(error)")
            }
            XCTAssertTrue(reason.contains("'w'"), reason)
        }
    }

    func testMissingFileCannotBeRead() {
        let path = Self.fixtures + "/no_such_model.onnx"
        XCTAssertThrowsError(try ONNXImporter.load(path: path)) { error in
            guard case EngineError.cannotReadModel(let reported, _)? = error as? EngineError else {
                return XCTFail("expected cannotReadModel, got \(error)")
            }
            XCTAssertEqual(reported, path)
        }
    }

    // MARK: - Wrong inputs

    func testInputChannelsMismatchAtPlanTime() throws {
        _ = try modelBytes()
        let graph = try ONNXImporter.load(path: Self.modelPath)
        let name = try XCTUnwrap(graph.inputDescriptions.first?.name)
        for shape in [[1, 4, 64, 64], [1, 3, 64], [1, 3, 64, 64, 1], [1, 3, 0, 64]] {
            XCTAssertThrowsError(try InferenceSession(graph: graph, inputShapes: [name: shape], threads: 1), "\(shape)") { error in
                switch error as? EngineError {
                case .inputShapeMismatch(let reported, _, let got)?:
                    XCTAssertEqual(reported, name)
                    XCTAssertEqual(got, shape)
                case .invalidNode?: break
                default: XCTFail("\(shape): expected inputShapeMismatch or invalidNode, got \(error)")
                }
            }
        }
    }

    func testRunWithOtherShapeThanPlanned() throws {
        _ = try modelBytes()
        let graph = try ONNXImporter.load(path: Self.modelPath)
        let name = try XCTUnwrap(graph.inputDescriptions.first?.name)
        let session = try InferenceSession(graph: graph, inputShapes: [name: [1, 3, 32, 32]], threads: 1)
        var rng = SeededGenerator(seed: 1)
        for shape in [[1, 3, 64, 64], [1, 3, 32], [1, 4, 32, 32], [3, 32, 32, 1]] {
            XCTAssertThrowsError(try session.run([name: Tensor.random(shape, using: &rng)]), "\(shape)") { error in
                XCTAssertEqual(error as? EngineError, .inputShapeMismatch(name: name, expected: "[1, 3, 32, 32]", got: shape))
            }
        }
        XCTAssertThrowsError(try session.run(["not_the_input": Tensor.random([1, 3, 32, 32], using: &rng)])) { error in
            XCTAssertEqual(error as? EngineError, .missingInput(name: name))
        }
        // The session still runs after the rejected calls.
        XCTAssertNoThrow(try session.run([name: Tensor.random([1, 3, 32, 32], using: &rng)]))
    }
}

/// Where things sit in a serialized ONNX model, found by walking the protobuf wire format:
/// ModelProto.graph (7) → GraphProto.node (1) / initializer (5) → NodeProto.attribute (5) →
/// AttributeProto.t (5) / tensors (10) → TensorProto.
struct ONNXWireLayout {
    /// TensorProto data fields (float/int/raw data) of at least 64 bytes: the weights.
    var payloads: [Range<Int>] = []
    /// Bytes holding operator parameters: attribute values (kernel shapes, strides, pads, groups,
    /// axes, alphas; for varints the mask keeps the continuation bit so the wire format stays
    /// valid) and the data of small tensors (Reshape shapes, Resize scales, Clip bounds).
    var values: [(offset: Int, mask: UInt8)] = []

    init(_ bytes: [UInt8]) {
        enum Message { case model, graph, node, attribute, tensor }
        func varint(_ i: inout Int, _ end: Int) -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < end, shift < 64 {
                let byte = bytes[i]; i += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        func walk(_ range: Range<Int>, _ message: Message) {
            var i = range.lowerBound
            while i < range.upperBound {
                guard let tag = varint(&i, range.upperBound) else { return }
                // AttributeProto f (2), i (3), floats (7), ints (8): the operator attributes.
                let isAttributeValue = message == .attribute && [2, 3, 7, 8].contains(tag >> 3)
                switch tag & 7 {
                case 0:
                    let start = i
                    guard varint(&i, range.upperBound) != nil else { return }
                    if isAttributeValue { for offset in start..<i { values.append((offset, 0x7f)) } }
                case 1, 5:
                    let size = tag & 7 == 1 ? 8 : 4
                    guard size <= range.upperBound - i else { return }
                    if isAttributeValue { for offset in i..<(i + size) { values.append((offset, 0xff)) } }
                    i += size
                case 2:
                    guard let length = varint(&i, range.upperBound), length <= UInt64(range.upperBound - i) else { return }
                    let body = i..<(i + Int(length))
                    i = body.upperBound
                    switch (message, tag >> 3) {
                    case (.model, 7): walk(body, .graph)
                    case (.graph, 1): walk(body, .node)
                    case (.graph, 5): walk(body, .tensor)
                    case (.node, 5): walk(body, .attribute)
                    case (.attribute, 5), (.attribute, 10): walk(body, .tensor)
                    case (.attribute, 7), (.attribute, 8): // packed floats / ints
                        for offset in body { values.append((offset, tag >> 3 == 8 ? 0x7f : 0xff)) }
                    // float_data, int32_data, int64_data, raw_data, double_data, uint64_data
                    case (.tensor, 4), (.tensor, 5), (.tensor, 7), (.tensor, 9), (.tensor, 10), (.tensor, 11):
                        if body.count >= 64 { payloads.append(body) } else { for offset in body { values.append((offset, 0xff)) } }
                    default: break
                    }
                default: return
                }
            }
        }
        walk(0..<bytes.count, .model)
        payloads.sort { $0.lowerBound < $1.lowerBound }
    }

    /// The byte ranges of `0..<count` outside the payloads.
    func structure(count: Int) -> OffsetSet {
        var result: [Range<Int>] = []
        var start = 0
        for r in payloads {
            if r.lowerBound > start { result.append(start..<r.lowerBound) }
            start = max(start, r.upperBound)
        }
        if start < count { result.append(start..<count) }
        return OffsetSet(ranges: result)
    }

    /// A set of byte offsets as ranges, sampled uniformly.
    struct OffsetSet {
        let ranges: [Range<Int>]
        var count: Int { ranges.reduce(0) { $0 + $1.count } }

        func randomOffset(using rng: inout SeededGenerator) -> Int {
            var k = Int.random(in: 0..<count, using: &rng)
            for r in ranges {
                if k < r.count { return r.lowerBound + k }
                k -= r.count
            }
            return ranges.last!.upperBound - 1
        }
    }
}

/// Turns a hang into a crash that names what hung (XCTest on Linux has no per-test timeout).
final class Watchdog: @unchecked Sendable {
    private let item: DispatchWorkItem

    init(seconds: Double, _ label: String) {
        item = DispatchWorkItem { fatalError("hang: \(label) did not finish within \(seconds) s") }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
    }

    func cancel() { item.cancel() }
}
