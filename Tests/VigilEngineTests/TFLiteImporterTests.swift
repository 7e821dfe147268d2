import Foundation
import XCTest
@testable import VigilEngine
import _TestSupport

/// TFLite import: operator semantics on tiny hand-built models, load-time errors, and
/// robustness against corrupt files.
final class TFLiteImporterTests: XCTestCase {
    typealias Model = TFLiteTestModel
    typealias Code = TFLiteOperatorTable.Code
    typealias Options = TFLiteOperatorTable.Options

    func run(_ model: Model, _ feeds: [String: Tensor]) throws -> [String: Tensor] {
        let graph = try TFLiteImporter.importModel(data: Data(model.bytes()))
        return try ReferenceInterpreter.run(graph, inputs: feeds)
    }

    func assertClose(_ actual: Tensor?, _ expected: Tensor, tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else { return XCTFail("missing output", file: file, line: line) }
        XCTAssertEqual(actual.shape, expected.shape, file: file, line: line)
        guard actual.shape == expected.shape else { return }
        let worst = zip(actual.floats, expected.floats).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "max abs diff", file: file, line: line)
    }

    func assertMalformed(_ body: @autoclosure () throws -> Graph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case EngineError.malformedModel = error else {
                return XCTFail("expected malformedModel, got \(error)", file: file, line: line)
            }
        }
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    var shippedModel: String { PackagePaths.path("Models/face_detection_short_range.tflite") }

    // MARK: Operator semantics

    func testConv2DSameStrideTwoPadsLikeTFLite() throws {
        // 5x5 input, 3x3 kernel, stride 2, SAME: total pad 2, one pixel each side.
        let (h, w, ci, co, k) = (5, 5, 3, 4, 3)
        let x = Self.random(h * w * ci, seed: 1), wt = Self.random(co * k * k * ci, seed: 2), b = Self.random(co, seed: 3)
        var m = Model()
        let input = m.tensor("x", [1, 5, 5, 3])
        let weights = m.tensor("w", [4, 3, 3, 3], floats: wt)
        let bias = m.tensor("b", [4], floats: b)
        let out = m.tensor("y", [1, 3, 3, 4])
        m.op(Int32(Code.conv2D), [input, weights, bias], [out], optionsType: UInt8(Options.conv2D),
             options: [0: .int8(0), 1: .int32(2), 2: .int32(2), 3: .int8(0)])
        m.inputs = [input]; m.outputs = [out]
        var expected = [Float](repeating: 0, count: 3 * 3 * co)
        for oy in 0..<3 { for ox in 0..<3 { for oc in 0..<co {
            var s = b[oc]
            for ky in 0..<k { for kx in 0..<k { for ic in 0..<ci {
                let (iy, ix) = (oy * 2 - 1 + ky, ox * 2 - 1 + kx)
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                s += x[(iy * w + ix) * ci + ic] * wt[((oc * k + ky) * k + kx) * ci + ic]
            } } }
            expected[(oy * 3 + ox) * co + oc] = s
        } } }
        let y = try run(m, ["x": Tensor(shape: [1, 5, 5, 3], floats: x)])
        assertClose(y["y"], Tensor(shape: [1, 3, 3, 4], floats: expected))
    }

    func testDepthwiseConv2DWithMultiplier() throws {
        let (h, w, ci, mult, k) = (3, 3, 2, 2, 2)
        let co = ci * mult
        let x = Self.random(h * w * ci, seed: 4), wt = Self.random(k * k * co, seed: 5), b = Self.random(co, seed: 6)
        var m = Model()
        let input = m.tensor("x", [1, 3, 3, 2])
        let weights = m.tensor("w", [1, 2, 2, 4], floats: wt)
        let bias = m.tensor("b", [4], floats: b)
        let out = m.tensor("y", [1, 2, 2, 4])
        m.op(Int32(Code.depthwiseConv2D), [input, weights, bias], [out], optionsType: UInt8(Options.depthwiseConv2D),
             options: [0: .int8(1), 1: .int32(1), 2: .int32(1), 3: .int32(2), 4: .int8(1)])
        m.inputs = [input]; m.outputs = [out]
        var expected = [Float](repeating: 0, count: 2 * 2 * co)
        for oy in 0..<2 { for ox in 0..<2 { for ic in 0..<ci { for j in 0..<mult {
            let oc = ic * mult + j
            var s = b[oc]
            for ky in 0..<k { for kx in 0..<k { s += x[((oy + ky) * w + ox + kx) * ci + ic] * wt[(ky * k + kx) * co + oc] } }
            expected[(oy * 2 + ox) * co + oc] = max(s, 0)
        } } } }
        let y = try run(m, ["x": Tensor(shape: [1, 3, 3, 2], floats: x)])
        assertClose(y["y"], Tensor(shape: [1, 2, 2, 4], floats: expected))
    }

    /// Naive NHWC transposed convolution with OHWI weights, trimming `top`/`left` pixels.
    static func transposeConvolution(_ x: [Float], h: Int, w: Int, ci: Int, weights: [Float], co: Int, k: Int, stride: Int,
                                     outH: Int, outW: Int, top: Int, left: Int, bias: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: outH * outW * co)
        for i in 0..<(outH * outW) { for oc in 0..<co { out[i * co + oc] = bias[oc] } }
        for iy in 0..<h { for ix in 0..<w { for ic in 0..<ci { for ky in 0..<k { for kx in 0..<k { for oc in 0..<co {
            let (oy, ox) = (iy * stride + ky - top, ix * stride + kx - left)
            if oy < 0 || oy >= outH || ox < 0 || ox >= outW { continue }
            out[(oy * outW + ox) * co + oc] += x[(iy * w + ix) * ci + ic] * weights[((oc * k + ky) * k + kx) * ci + ic]
        } } } } } }
        return out
    }

    func testTransposeConvUsesTheDeclaredOutputShape() throws {
        // 3x3 input, 3x3 kernel, stride 2 -> full 7x7; output_shape 6x6 trims one pixel at the end.
        let (ci, co, k) = (2, 3, 3)
        let x = Self.random(9 * ci, seed: 7), wt = Self.random(co * k * k * ci, seed: 8), b = Self.random(co, seed: 9)
        var m = Model()
        let shape = m.tensor("output_shape", [4], ints: [1, 6, 6, 3])
        let weights = m.tensor("w", [3, 3, 3, 2], floats: wt)
        let input = m.tensor("x", [1, 3, 3, 2])
        let bias = m.tensor("b", [3], floats: b)
        let out = m.tensor("y", [1, 6, 6, 3])
        m.op(Int32(Code.transposeConv), [shape, weights, input, bias], [out], optionsType: UInt8(Options.transposeConv),
             options: [0: .int8(0), 1: .int32(2), 2: .int32(2)])
        m.inputs = [input]; m.outputs = [out]
        let expected = Self.transposeConvolution(x, h: 3, w: 3, ci: ci, weights: wt, co: co, k: k, stride: 2, outH: 6, outW: 6, top: 0, left: 0, bias: b)
        let y = try run(m, ["x": Tensor(shape: [1, 3, 3, 2], floats: x)])
        assertClose(y["y"], Tensor(shape: [1, 6, 6, 3], floats: expected))
    }

    func testMediaPipeTransposeConvBiasSamePadding() throws {
        // MediaPipe SAME: trims max(0, 3 - (3 - 1) % 2 - 1) = 2 pixels, one before: 5x5 output.
        let (ci, co, k) = (2, 3, 3)
        let x = Self.random(9 * ci, seed: 10), wt = Self.random(co * k * k * ci, seed: 11), b = Self.random(co, seed: 12)
        var m = Model()
        let input = m.tensor("x", [1, 3, 3, 2])
        let weights = m.tensor("w", [3, 3, 3, 2], floats: wt)
        let bias = m.tensor("b", [3], floats: b)
        let out = m.tensor("y", [1, 5, 5, 3])
        m.op(Int32(TFLiteOperatorTable.customCode), [input, weights, bias], [out], custom: "Convolution2DTransposeBias",
             customOptions: Model.littleEndian([UInt32(1), 2, 2]))
        m.inputs = [input]; m.outputs = [out]
        let expected = Self.transposeConvolution(x, h: 3, w: 3, ci: ci, weights: wt, co: co, k: k, stride: 2, outH: 5, outW: 5, top: 1, left: 1, bias: b)
        let y = try run(m, ["x": Tensor(shape: [1, 3, 3, 2], floats: x)])
        assertClose(y["y"], Tensor(shape: [1, 5, 5, 3], floats: expected))
    }

    func testFullyConnectedWithFusedRelu() throws {
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let wt = Self.random(12, seed: 13), b = Self.random(4, seed: 14)
        var m = Model()
        let input = m.tensor("x", [2, 3])
        let weights = m.tensor("w", [4, 3], floats: wt)
        let bias = m.tensor("b", [4], floats: b)
        let out = m.tensor("y", [2, 4])
        m.op(Int32(Code.fullyConnected), [input, weights, bias], [out], optionsType: UInt8(Options.fullyConnected), options: [0: .int8(1)])
        m.inputs = [input]; m.outputs = [out]
        var expected = [Float]()
        for i in 0..<2 { for n in 0..<4 {
            expected.append(max(0, b[n] + (0..<3).map { x[i * 3 + $0] * wt[n * 3 + $0] }.reduce(0, +)))
        } }
        let y = try run(m, ["x": Tensor(shape: [2, 3], floats: x)])
        assertClose(y["y"], Tensor(shape: [2, 4], floats: expected))
    }

    func testStridedSliceWithMasksAndShrink() throws {
        var m = Model()
        let input = m.tensor("x", [1, 4, 6, 2])
        let begin = m.tensor("begin", [4], ints: [0, 1, -1, 0])
        let end = m.tensor("end", [4], ints: [1, 4, 0, 0])
        let strides = m.tensor("strides", [4], ints: [1, 2, -2, 1])
        let out = m.tensor("y", [2, 3, 2])
        // end_mask on axis 3 (full range), shrink_axis_mask on axis 0.
        m.op(Int32(Code.stridedSlice), [input, begin, end, strides], [out], optionsType: UInt8(Options.stridedSlice),
             options: [1: .int32(8), 4: .int32(1)])
        m.inputs = [input]; m.outputs = [out]
        let x = (0..<48).map { Float($0) }
        var expected = [Float]()
        for y in [1, 3] { for xx in [5, 3, 1] { for c in 0..<2 { expected.append(x[(y * 6 + xx) * 2 + c]) } } }
        let y = try run(m, ["x": Tensor(shape: [1, 4, 6, 2], floats: x)])
        assertClose(y["y"], Tensor(shape: [2, 3, 2], floats: expected))
    }

    func testResizeBilinearHalfPixelIsNHWC() throws {
        var m = Model()
        let input = m.tensor("x", [1, 2, 2, 2])
        let size = m.tensor("size", [2], ints: [4, 4])
        let out = m.tensor("y", [1, 4, 4, 2])
        m.op(Int32(Code.resizeBilinear), [input, size], [out], optionsType: UInt8(Options.resizeBilinear), options: [3: .bool(true)])
        m.inputs = [input]; m.outputs = [out]
        // Channel 0 varies along W, channel 1 along H.
        let x: [Float] = [0, 0, 4, 0, 0, 8, 4, 8]
        let along: [Float] = [0, 1, 3, 4] // half-pixel 2 -> 4: 0, 0.25, 0.75, 1 of the span, clamped
        var expected = [Float]()
        for r in 0..<4 { for c in 0..<4 { expected.append(along[c]); expected.append(along[r] * 2) } }
        let y = try run(m, ["x": Tensor(shape: [1, 2, 2, 2], floats: x)])
        assertClose(y["y"], Tensor(shape: [1, 4, 4, 2], floats: expected))
    }

    func testMeanSplitConcatAndPad() throws {
        var m = Model()
        let input = m.tensor("x", [1, 2, 2, 2])
        let axes = m.tensor("axes", [2], ints: [1, 2])
        let mean = m.tensor("mean", [1, 1, 1, 2])
        m.op(Int32(Code.mean), [input, axes], [mean], optionsType: UInt8(Options.reducer), options: [0: .bool(true)])
        let axis = m.tensor("axis", [1], ints: [3])
        let (a, b) = (m.tensor("a", [1, 2, 2, 1]), m.tensor("b", [1, 2, 2, 1]))
        m.op(Int32(Code.split), [axis, input], [a, b], optionsType: 35, options: [0: .int32(2)])
        let swapped = m.tensor("swapped", [1, 2, 2, 2])
        m.op(Int32(Code.concatenation), [b, a], [swapped], optionsType: UInt8(Options.concatenation), options: [0: .int32(-1), 1: .int8(1)])
        let paddings = m.tensor("paddings", [4, 2], ints: [0, 0, 1, 0, 0, 1, 0, 0])
        let value = m.tensor("value", [], floats: [7])
        let padded = m.tensor("padded", [1, 3, 3, 2])
        m.op(Int32(Code.padV2), [input, paddings, value], [padded])
        m.inputs = [input]; m.outputs = [mean, swapped, padded]
        let x: [Float] = [0, -1, 2, -3, 4, -5, 6, -7]
        let y = try run(m, ["x": Tensor(shape: [1, 2, 2, 2], floats: x)])
        assertClose(y["mean"], Tensor(shape: [1, 1, 1, 2], floats: [3, -4]))
        assertClose(y["swapped"], Tensor(shape: [1, 2, 2, 2], floats: [0, 0, 0, 2, 0, 4, 0, 6]))
        assertClose(y["padded"], Tensor(shape: [1, 3, 3, 2], floats: [7, 7, 7, 7, 7, 7,
                                                                     0, -1, 2, -3, 7, 7,
                                                                     4, -5, 6, -7, 7, 7]))
    }

    func testSoftmaxTransposeNearestResizeAndMirrorPad() throws {
        var m = Model()
        let logits = m.tensor("logits", [1, 3])
        let probabilities = m.tensor("p", [1, 3])
        m.op(Int32(Code.softmax), [logits], [probabilities], optionsType: 9, options: [0: .float(2)])
        let image = m.tensor("image", [1, 2, 2, 1])
        let perm = m.tensor("perm", [4], ints: [0, 3, 1, 2])
        let nchw = m.tensor("nchw", [1, 1, 2, 2])
        m.op(Int32(Code.transpose), [image, perm], [nchw])
        let size = m.tensor("size", [2], ints: [4, 4])
        let big = m.tensor("big", [1, 4, 4, 1])
        m.op(Int32(Code.resizeNearestNeighbor), [image, size], [big], optionsType: UInt8(Options.resizeNearestNeighbor), options: [:])
        let paddings = m.tensor("paddings", [4, 2], ints: [0, 0, 1, 1, 0, 0, 0, 0])
        let mirrored = m.tensor("mirrored", [1, 4, 2, 1])
        m.op(Int32(Code.mirrorPad), [image, paddings], [mirrored], optionsType: UInt8(Options.mirrorPad), options: [0: .int8(0)])
        m.inputs = [logits, image]; m.outputs = [probabilities, nchw, big, mirrored]
        let y = try run(m, ["logits": Tensor(shape: [1, 3], floats: [0, 1, 2]), "image": Tensor(shape: [1, 2, 2, 1], floats: [1, 2, 3, 4])])
        let e = [0, 2, 4].map { exp(Float($0)) }
        assertClose(y["p"], Tensor(shape: [1, 3], floats: e.map { $0 / e.reduce(0, +) }))
        assertClose(y["nchw"], Tensor(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4]))
        assertClose(y["big"], Tensor(shape: [1, 4, 4, 1], floats: [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]))
        assertClose(y["mirrored"], Tensor(shape: [1, 4, 2, 1], floats: [3, 4, 1, 2, 3, 4, 1, 2]))
    }

    func testDensifyAndDequantizeFoldToDenseWeights() throws {
        // Sparse float16 [2, 3] = [[0, 0, a], [b, c, 0]]: row 0 dense, columns CSR.
        let values: [Float] = [0.5, -1.25, 2]
        let sparsity: [Int: FBValue] = [
            0: .int32s([0, 1]),
            2: .tables([
                [0: .int8(0), 1: .int32(2)],
                [0: .int8(1), 2: .uint8(2), 3: .table([0: .uint16s([0, 1, 3])]), 4: .uint8(3), 5: .table([0: .bytes([2, 0, 1])])],
            ]),
        ]
        var m = Model()
        let input = m.tensor("x", [1, 3])
        let sparse = m.tensor("w_sparse", [2, 3], type: 1, data: Model.littleEndian(values.map { Float16($0).bitPattern }), extra: [6: .table(sparsity)])
        let dense16 = m.tensor("w_fp16", [2, 3], type: 1)
        let dense = m.tensor("w", [2, 3])
        let out = m.tensor("y", [1, 2])
        m.op(Int32(Code.densify), [sparse], [dense16])
        m.op(Int32(Code.dequantize), [dense16], [dense])
        m.op(Int32(Code.fullyConnected), [input, dense, -1], [out])
        m.inputs = [input]; m.outputs = [out]
        let graph = try TFLiteImporter.importModel(data: Data(m.bytes()))
        XCTAssertEqual(graph.nodes.map(\.op.name), ["Reshape", "Gemm"], "DENSIFY and DEQUANTIZE fold away")
        let y = try ReferenceInterpreter.run(graph, inputs: ["x": Tensor(shape: [1, 3], floats: [1, 2, 3])])
        assertClose(y["y"], Tensor(shape: [1, 2], floats: [3 * 0.5, 1 * -1.25 + 2 * 2]))
    }

    func testBlockSparseDensify() throws {
        // A [4, 4] matrix in 2x2 blocks; only blocks (0, 1) and (1, 0) are stored.
        let sparsity: [Int: FBValue] = [
            0: .int32s([0, 1, 2, 3]),
            1: .int32s([0, 1]),
            2: .tables([
                [0: .int8(0), 1: .int32(2)],
                [0: .int8(1), 2: .uint8(1), 3: .table([0: .int32s([0, 1, 2])]), 4: .uint8(1), 5: .table([0: .int32s([1, 0])])],
                [0: .int8(0), 1: .int32(2)],
                [0: .int8(0), 1: .int32(2)],
            ]),
        ]
        let table = try FlatBufferReader(bytes: FlatBufferTestWriter.buffer(root: sparsity), format: "TFLite").rootTable()
        let dense = try TFLiteSparsity.densify(values: (1...8).map { Float($0) }, zero: 0, shape: [4, 4], sparsity: table, name: "blocks")
        XCTAssertEqual(dense, [0, 0, 1, 2,
                               0, 0, 3, 4,
                               5, 6, 0, 0,
                               7, 8, 0, 0])
    }

    func testSparseMetadataThatOverrunsIsMalformed() throws {
        let sparsity: [Int: FBValue] = [
            0: .int32s([0, 1]),
            2: .tables([
                [0: .int8(0), 1: .int32(2)],
                [0: .int8(1), 2: .uint8(1), 3: .table([0: .int32s([0, 2, 9])]), 4: .uint8(1), 5: .table([0: .int32s([0, 1, 2])])],
            ]),
        ]
        let table = try FlatBufferReader(bytes: FlatBufferTestWriter.buffer(root: sparsity), format: "TFLite").rootTable()
        XCTAssertThrowsError(try TFLiteSparsity.densify(values: [1, 2, 3], zero: Float(0), shape: [2, 3], sparsity: table, name: "bad")) { error in
            guard case EngineError.malformedModel = error else { return XCTFail("got \(error)") }
        }
    }

    func testDequantizeInt8PerChannel() throws {
        var m = Model()
        let input = m.tensor("x", [1, 2])
        let q = m.tensor("q", [2, 2], type: 9, data: [UInt8(bitPattern: -4), 6, 10, UInt8(bitPattern: -2)],
                         extra: [4: .table([2: .floats([0.5, 2]), 3: .int64s([0, 1]), 6: .int32(0)])])
        let weights = m.tensor("w", [2, 2])
        let out = m.tensor("y", [1, 2])
        m.op(Int32(Code.dequantize), [q], [weights])
        m.op(Int32(Code.fullyConnected), [input, weights, -1], [out])
        m.inputs = [input]; m.outputs = [out]
        // Rows: [-4, 6] * 0.5 = [-2, 3]; ([10, -2] - 1) * 2 = [18, -6].
        let y = try run(m, ["x": Tensor(shape: [1, 2], floats: [1, 1])])
        assertClose(y["y"], Tensor(shape: [1, 2], floats: [1, 12]))
    }

    // MARK: Load-time errors

    func testUnsupportedBuiltinThrowsWithItsName() throws {
        var m = Model()
        let input = m.tensor("x", [1, 4])
        let out = m.tensor("lstm_out", [1, 4])
        m.op(16, [input], [out])
        m.inputs = [input]; m.outputs = [out]
        XCTAssertThrowsError(try TFLiteImporter.importModel(data: Data(m.bytes()))) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedOperator(name: "LSTM", node: "lstm_out", opset: 3))
        }
    }

    func testBuiltinCodePastTheDeprecatedFieldIsResolved() throws {
        // GELU (150) only fits the int32 builtin_code field; the int8 one holds 127.
        var m = Model()
        let input = m.tensor("x", [1, 4])
        let out = m.tensor("y", [1, 4])
        m.op(150, [input], [out])
        m.inputs = [input]; m.outputs = [out]
        XCTAssertThrowsError(try TFLiteImporter.importModel(data: Data(m.bytes()))) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedOperator(name: "GELU", node: "y", opset: 3))
        }
    }

    func testUnknownCustomOperatorThrowsWithItsName() throws {
        var m = Model()
        let input = m.tensor("x", [1, 4])
        let out = m.tensor("y", [1, 4])
        m.op(Int32(TFLiteOperatorTable.customCode), [input], [out], custom: "MaxPoolingWithArgmax2D")
        m.inputs = [input]; m.outputs = [out]
        XCTAssertThrowsError(try TFLiteImporter.importModel(data: Data(m.bytes()))) { error in
            XCTAssertEqual(error as? EngineError, .unsupportedOperator(name: "CUSTOM:MaxPoolingWithArgmax2D", node: "y", opset: 3))
        }
    }

    func testQuantizedActivationsAreRejected() throws {
        var m = Model()
        let input = m.tensor("x", [1, 4], type: 9, extra: [4: .table([2: .floats([0.1]), 3: .int64s([0])])])
        let out = m.tensor("y", [1, 4], type: 9, extra: [4: .table([2: .floats([0.1]), 3: .int64s([0])])])
        m.op(Int32(Code.relu), [input], [out])
        m.inputs = [input]; m.outputs = [out]
        XCTAssertThrowsError(try TFLiteImporter.importModel(data: Data(m.bytes()))) { error in
            guard case EngineError.unsupportedAttribute = error else { return XCTFail("got \(error)") }
        }
    }

    // MARK: Corrupt files

    func testTruncatedModelIsMalformed() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: shippedModel))
        for length in [0, 7, 12, 64, 1000, bytes.count / 2] {
            assertMalformed(try TFLiteImporter.importModel(data: bytes.prefix(length)))
        }
    }

    func testRandomBytesAreMalformed() {
        var rng = SeededGenerator(seed: 2024)
        for size in [1, 8, 100, 4096, 100_000] {
            var bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            assertMalformed(try TFLiteImporter.importModel(data: Data(bytes)))
            // Even with the right identifier, random structure is reported, not trusted.
            if size >= 8 {
                bytes.replaceSubrange(4..<8, with: Array("TFL3".utf8))
                assertMalformed(try TFLiteImporter.importModel(data: Data(bytes)))
            }
        }
    }

    func testMissingFileCannotBeRead() {
        XCTAssertThrowsError(try TFLiteImporter.load(path: "/nonexistent/model.tflite")) { error in
            guard case EngineError.cannotReadModel = error else { return XCTFail("got \(error)") }
        }
    }

    /// Flips random bytes of real models 200 times: import either succeeds or throws an
    /// `EngineError`; it never traps.
    func testFlippedBytesNeverCrash() throws {
        var paths = [shippedModel]
        if let sparse = try? ReferenceFixture.load("face_detection_full_range_sparse").modelPath() { paths.append(sparse) }
        var rng = SeededGenerator(seed: 7)
        var outcomes: [String: Int] = [:]
        for path in paths {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for _ in 0..<200 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                }
                do {
                    _ = try TFLiteImporter.importModel(data: Data(bytes))
                    outcomes["loaded", default: 0] += 1
                } catch let error as EngineError {
                    outcomes[String("\(error)".prefix(while: { $0 != " " })), default: 0] += 1
                } catch {
                    XCTFail("non-engine error \(error)")
                }
            }
        }
        print("[TFLiteImporterTests] flipped-byte outcomes: \(outcomes)")
    }

    // MARK: Model loader

    func testModelLoaderChoosesTheImporter() throws {
        XCTAssertEqual(ModelLoader.format(of: Data([0x1C, 0, 0, 0] + Array("TFL3".utf8)), path: "model.bin"), .tflite)
        XCTAssertEqual(ModelLoader.format(of: Data([0, 0]), path: "m.tflite"), .tflite)
        XCTAssertEqual(ModelLoader.format(of: Data([0x08, 0x07]), path: "m.onnx"), .onnx)
        XCTAssertEqual(ModelLoader.format(of: Data([0x08, 0x07]), path: "model"), .onnx)
        XCTAssertNil(ModelLoader.format(of: Data([0x42]), path: "model.txt"))
        let graph = try ModelLoader.load(path: shippedModel)
        XCTAssertEqual(graph.outputNames, ["regressors", "classificators"])
        XCTAssertEqual(graph.inputDescriptions.first?.shape, [.fixed(1), .fixed(128), .fixed(128), .fixed(3)])
    }
}
