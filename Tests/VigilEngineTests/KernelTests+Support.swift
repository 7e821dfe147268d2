import XCTest
@testable import VigilEngine
import _TestSupport

/// A small graph under construction for kernel tests: graph inputs get seeded random
/// values, constants random weights. Logical layout is ONNX NCHW unless a test says otherwise.
struct TestGraph {
    var graph = Graph()
    var rng: SeededGenerator
    /// Values for every graph input, by name.
    var feeds: [String: Tensor] = [:]

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    /// A graph input of `shape` filled with uniform values in `range`.
    mutating func input(_ shape: [Int], in range: ClosedRange<Float> = -1...1) -> ValueID {
        let name = "input\(graph.inputs.count)"
        let id = graph.addValue(name: name, shape: shape.map { .fixed($0) })
        graph.inputs.append(id)
        feeds[name] = Tensor.random(shape, in: range, using: &rng)
        return id
    }

    /// A random float constant.
    mutating func constant(_ shape: [Int], in range: ClosedRange<Float> = -1...1) -> ValueID {
        graph.addConstant(name: "const\(graph.values.count)", Tensor.random(shape, in: range, using: &rng))
    }

    mutating func constant(_ tensor: Tensor) -> ValueID {
        graph.addConstant(name: "const\(graph.values.count)", tensor)
    }

    /// An int64 constant (shapes, sizes, axes).
    mutating func ints(_ values: [Int]) -> ValueID {
        graph.addConstant(name: "ints\(graph.values.count)", Tensor(shape: [values.count], ints: values.map { Int64($0) }))
    }

    /// Appends a node with one output and returns that output.
    @discardableResult
    mutating func node(_ op: Operator, _ inputs: [ValueID?]) -> ValueID {
        let name = "\(op.name)_\(graph.nodes.count)"
        let output = graph.addValue(name: name + "_out")
        graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    mutating func output(_ id: ValueID) { graph.outputs.append(id) }
}

// MARK: - Operator shorthands

func convOp(_ kernel: (Int, Int), strides: (Int, Int) = (1, 1), dilations: (Int, Int) = (1, 1), padding: Padding = .zero,
            groups: Int = 1, activation: Activation = .identity, layout: SpatialLayout = .nchw) -> Operator {
    .conv2D(Conv2DAttributes(layout: layout, kernel: (kernel.0, kernel.1), strides: (strides.0, strides.1),
                             dilations: (dilations.0, dilations.1), padding: padding, groups: groups, activation: activation))
}

func pads(_ top: Int, _ left: Int, _ bottom: Int, _ right: Int) -> Padding {
    .explicit(top: top, left: left, bottom: bottom, right: right)
}

func poolAttributes(_ kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .zero, ceilMode: Bool = false,
                    countIncludePad: Bool = false, layout: SpatialLayout = .nchw) -> Pool2DAttributes {
    Pool2DAttributes(layout: layout, kernel: (kernel.0, kernel.1), strides: (strides.0, strides.1), padding: padding,
                     ceilMode: ceilMode, countIncludePad: countIncludePad)
}

// MARK: - Parity

extension XCTestCase {
    /// Runs `test.graph` through the reference interpreter (the oracle) and through planned
    /// sessions with 1 and 2 threads; every output must satisfy
    /// max |kernel - reference| <= rel * max |reference|.
    /// With `kernelsOnly`, no step may fall back to a reference operator.
    func assertKernelsMatchReference(_ test: TestGraph, rel: Float = 1e-4, kernelsOnly: Bool = true,
                                     _ message: @autoclosure () -> String = "",
                                     file: StaticString = #filePath, line: UInt = #line) {
        let label = message()
        let expected: [String: Tensor]
        do {
            expected = try ReferenceInterpreter.run(test.graph, inputs: test.feeds)
        } catch {
            XCTFail("\(label): reference failed: \(error)", file: file, line: line)
            return
        }
        for threads in [1, 2] {
            do {
                let session = try InferenceSession(graph: test.graph, inputShapes: test.feeds.mapValues(\.shape), threads: threads)
                if kernelsOnly {
                    XCTAssertEqual(session.referenceStepNames, [], "\(label): steps without a fast kernel", file: file, line: line)
                }
                let actual = try session.run(test.feeds)
                // Run twice: a second run must not depend on state left by the first (arena reuse, in-place steps).
                let again = try session.run(test.feeds)
                for name in test.graph.outputNames {
                    guard let a = actual[name], let r = expected[name] else {
                        XCTFail("\(label): output \(name) missing", file: file, line: line)
                        continue
                    }
                    let closeness = Closeness.compare(a, r, rel: rel)
                    XCTAssertTrue(closeness.passes, "\(label) threads \(threads) output \(name) \(a.shape) vs \(r.shape): \(closeness)",
                                  file: file, line: line)
                    XCTAssertEqual(again[name], a, "\(label) threads \(threads): second run differs", file: file, line: line)
                }
            } catch {
                XCTFail("\(label) threads \(threads): planned session failed: \(error)", file: file, line: line)
            }
        }
    }
}
