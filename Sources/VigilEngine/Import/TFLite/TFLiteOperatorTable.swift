/// One rule per TFLite operator: reads options (field indices from schema.fbs), converts
/// weights to Vigil's canonical layouts and returns the Vigil operator. Builtins are keyed
/// by code (max of the deprecated int8 and the int32 field, resolved in `TFLiteModel`),
/// custom operators by name. Adding an operator is one entry here.
enum TFLiteOperatorTable {
    typealias Rule = @Sendable (TFLiteNodeContext) throws -> TFLiteTranslation

    /// `BuiltinOperator.CUSTOM`: the operator is named by its custom code.
    static let customCode = 32

    /// Builtin operator codes (schema `BuiltinOperator`).
    enum Code {
        static let add = 0, averagePool2D = 1, concatenation = 2, conv2D = 3, depthwiseConv2D = 4, depthToSpace = 5
        static let dequantize = 6, fullyConnected = 9, logistic = 14, maxPool2D = 17, mul = 18, relu = 19
        static let reluN1To1 = 20, relu6 = 21, reshape = 22, resizeBilinear = 23, softmax = 25, tanh = 28, pad = 34
        static let transpose = 39, mean = 40, sub = 41, div = 42, squeeze = 43, stridedSlice = 45, split = 49
        static let prelu = 54, maximum = 55, minimum = 57, padV2 = 60, slice = 65, transposeConv = 67
        static let expandDims = 70, resizeNearestNeighbor = 97, leakyRelu = 98, mirrorPad = 100, splitV = 102
        static let hardSwish = 117, densify = 124, relu0To1 = 152
    }

    /// Builtin options table types (schema `BuiltinOptions`).
    enum Options {
        static let conv2D = 1, depthwiseConv2D = 2, pool2D = 5, fullyConnected = 8, softmax = 9, concatenation = 10
        static let add = 11, resizeBilinear = 15, reshape = 17, mul = 21, reducer = 27, sub = 28, div = 29
        static let stridedSlice = 32, transposeConv = 49, resizeNearestNeighbor = 74, leakyRelu = 75, mirrorPad = 77
        static let depthToSpace = 94
    }

    static let builtinRules: [Int: Rule] = {
        var r: [Int: Rule] = [:]
        r[Code.conv2D] = conv2D
        r[Code.depthwiseConv2D] = depthwiseConv2D
        r[Code.transposeConv] = transposeConv
        r[Code.fullyConnected] = fullyConnected
        r[Code.averagePool2D] = pool(isMax: false)
        r[Code.maxPool2D] = pool(isMax: true)
        r[Code.add] = binary(.add, options: Options.add)
        r[Code.sub] = binary(.sub, options: Options.sub)
        r[Code.mul] = binary(.mul, options: Options.mul)
        r[Code.div] = binary(.div, options: Options.div)
        r[Code.maximum] = binary(.max, options: nil)
        r[Code.minimum] = binary(.min, options: nil)
        r[Code.relu] = activation(.relu)
        r[Code.relu6] = activation(.clip(min: 0, max: 6))
        r[Code.reluN1To1] = activation(.clip(min: -1, max: 1))
        r[Code.relu0To1] = activation(.clip(min: 0, max: 1))
        r[Code.logistic] = activation(.sigmoid)
        r[Code.tanh] = activation(.tanh)
        r[Code.hardSwish] = activation(.hardSwish)
        r[Code.leakyRelu] = { c in
            let alpha = try c.float(try c.options(Options.leakyRelu), 0, default: 0.2)
            return .node(.activation(.leakyRelu(alpha: alpha)), inputs: [try c.input(0)])
        }
        r[Code.prelu] = { c in .node(.prelu, inputs: [try c.input(0), try c.input(1)]) }
        r[Code.concatenation] = { c in
            let o = try c.options(Options.concatenation)
            let inputs = try (0..<c.op.inputs.count).map { try c.input($0) }
            guard !inputs.isEmpty else { throw c.invalid("no inputs") }
            return .node(.concat(axis: try c.int(o, 0, default: 0)), inputs: inputs, activation: try c.fusedActivation(o, 1))
        }
        r[Code.reshape] = reshape
        r[Code.squeeze] = reshapeToOutput
        r[Code.expandDims] = reshapeToOutput
        r[Code.transpose] = { c in
            let perm = try c.constantInts(1, "the permutation")
            guard perm.sorted() == Array(0..<perm.count) else { throw c.invalid("permutation \(perm)") }
            return .node(.transpose(perm: perm), inputs: [try c.input(0)])
        }
        r[Code.mean] = { c in
            let axes = try c.constantInts(1, "the axes")
            let keep = try c.bool(try c.options(Options.reducer), 0)
            return .node(.reduceMean(keepDims: keep), inputs: [try c.input(0), c.addInts(axes, suffix: "axes")])
        }
        r[Code.pad] = pad(mode: .constant)
        r[Code.padV2] = pad(mode: .constant)
        r[Code.mirrorPad] = { c in
            let mode = try c.byte(try c.options(Options.mirrorPad), 0)
            guard mode == 0 else { throw c.unsupported("SYMMETRIC mirror padding") }
            return try pad(mode: .reflect)(c)
        }
        r[Code.resizeBilinear] = resizeBilinear
        r[Code.resizeNearestNeighbor] = resizeNearestNeighbor
        r[Code.depthToSpace] = { c in
            let block = try c.int(try c.options(Options.depthToSpace), 0, default: 0)
            let x = try c.nhwcShape(0)
            guard block > 0, block <= 1 << 12, x.c % (block * block) == 0 else { throw c.invalid("block size \(block) for \(x.c) channels") }
            return .node(.depthToSpace(blockSize: block, columnRowDepth: false, layout: .nhwc), inputs: [try c.input(0)])
        }
        r[Code.softmax] = { c in
            let beta = try c.float(try c.options(Options.softmax), 0, default: 1)
            var x = try c.input(0)
            if beta != 1 {
                x = c.addNode(.binary(.mul), inputs: [x, c.addConstant(Tensor(shape: [], floats: [beta]), suffix: "beta")], suffix: "scaled")
            }
            return .node(.softmax(axis: -1), inputs: [x])
        }
        r[Code.stridedSlice] = stridedSlice
        r[Code.slice] = { c in
            let begin = try c.constantInts(1, "begin"), size = try c.constantInts(2, "size")
            guard begin.count == size.count, begin.count == (try c.inputShape(0)).count else { throw c.invalid("begin \(begin) and size \(size) do not fit the input") }
            let end = zip(begin, size).map { $1 < 0 ? Int(Int32.max) : $0 + $1 }
            return .node(.slice, inputs: [try c.input(0), c.addInts(begin, suffix: "starts"), c.addInts(end, suffix: "ends"), nil, nil])
        }
        r[Code.split] = split(axisInput: 0, dataInput: 1)
        r[Code.splitV] = split(axisInput: 2, dataInput: 0)
        r[Code.dequantize] = dequantize
        r[Code.densify] = densify
        return r
    }()

    static let customRules: [String: Rule] = [
        "Convolution2DTransposeBias": mediaPipeTransposeConvBias,
    ]

    // MARK: Element-wise

    static func activation(_ a: Activation) -> Rule {
        { c in .node(.activation(a), inputs: [try c.input(0)]) }
    }

    /// Binary operators; those with options carry a fused activation in field 0.
    static func binary(_ b: BinaryOperator, options type: Int?) -> Rule {
        { c in
            let fused = try type.map { try c.fusedActivation(try c.options($0), 0) } ?? .identity
            return .node(.binary(b), inputs: [try c.input(0), try c.input(1)], activation: fused)
        }
    }

    // MARK: Convolutions

    /// Weights `[Cout, KH, KW, Cin/g]` (OHWI) become OIHW; the group count follows from the input channels.
    static let conv2D: Rule = { c in
        let o = try c.options(Options.conv2D)
        let weights = try floatWeights(c, 1)
        guard weights.rank == 4 else { throw c.unsupported("\(weights.rank)-D weights (expects OHWI)") }
        let x = try c.nhwcShape(0)
        let (cout, kh, kw, cinPerGroup) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        guard cinPerGroup > 0, x.c % cinPerGroup == 0, kh > 0, kw > 0 else {
            throw c.invalid("weights \(weights.shape) do not fit \(x.c) input channels")
        }
        let groups = x.c / cinPerGroup
        guard groups > 0, cout % groups == 0 else { throw c.invalid("\(cout) output channels do not split into \(groups) groups") }
        let attributes = Conv2DAttributes(
            layout: .nhwc,
            kernel: (kh, kw),
            strides: try c.pair(o, h: 2, w: 1, default: 0, "strides"),
            dilations: try c.pair(o, h: 5, w: 4, default: 1, "dilations"),
            padding: try c.padding(o, 0),
            groups: groups,
            activation: try c.fusedActivation(o, 3))
        let oihw = ReferenceDataMovement.transpose(weights, perm: [0, 3, 1, 2])
        return .node(.conv2D(attributes), inputs: [try c.input(0), c.addConstant(oihw, suffix: "weights"), try bias(c, 2, count: cout)])
    }

    /// Weights `[1, KH, KW, Cin * multiplier]` become `[Cin * multiplier, 1, KH, KW]` with groups = Cin:
    /// output channel `ic * multiplier + m` reads input channel `ic`, as in TFLite.
    static let depthwiseConv2D: Rule = { c in
        let o = try c.options(Options.depthwiseConv2D)
        let weights = try floatWeights(c, 1)
        guard weights.rank == 4, weights.shape[0] == 1 else { throw c.unsupported("weights \(weights.shape) (expects [1, KH, KW, C])") }
        let x = try c.nhwcShape(0)
        let (kh, kw, cout) = (weights.shape[1], weights.shape[2], weights.shape[3])
        guard x.c > 0, cout % x.c == 0, cout > 0, kh > 0, kw > 0 else {
            throw c.invalid("weights \(weights.shape) do not fit \(x.c) input channels")
        }
        let attributes = Conv2DAttributes(
            layout: .nhwc,
            kernel: (kh, kw),
            strides: try c.pair(o, h: 2, w: 1, default: 0, "strides"),
            dilations: try c.pair(o, h: 6, w: 5, default: 1, "dilations"),
            padding: try c.padding(o, 0),
            groups: x.c,
            activation: try c.fusedActivation(o, 4))
        let oihw = ReferenceDataMovement.transpose(weights, perm: [3, 0, 1, 2])
        return .node(.conv2D(attributes), inputs: [try c.input(0), c.addConstant(oihw, suffix: "weights"), try bias(c, 2, count: cout)])
    }

    /// TRANSPOSE_CONV: inputs output_shape, weights `[Cout, KH, KW, Cin]`, input, bias?.
    static let transposeConv: Rule = { c in
        let o = try c.options(Options.transposeConv)
        let outShape = try c.outputShape()
        let stride = try c.pair(o, h: 2, w: 1, default: 0, "strides")
        return try transposedConvolution(c, data: 2, weights: 1, bias: 3, stride: stride, output: outShape,
                                         activation: try c.fusedActivation(o, 3), padTotals: nil)
    }

    /// MediaPipe's `Convolution2DTransposeBias`: inputs input, weights `[Cout, KH, KW, Cin]`, bias.
    /// Its custom options are the raw `TfLiteTransposeConvParams` struct: int32 padding
    /// (`TfLitePadding`: 1 SAME, 2 VALID), int32 stride_width, int32 stride_height. SAME trims
    /// `max(0, K - (in - 1) % stride - 1)` pixels, the first half before (MediaPipe's
    /// transpose_conv_bias.cc).
    static let mediaPipeTransposeConvBias: Rule = { c in
        let bytes = c.op.customOptions
        guard bytes.count >= 12 else { throw c.invalid("custom options are \(bytes.count) bytes, expected 12 (padding, stride_w, stride_h)") }
        func int32(_ i: Int) -> Int {
            Int(Int32(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
        }
        let (padding, strideW, strideH) = (int32(0), int32(4), int32(8))
        guard strideW > 0, strideH > 0, strideW <= 1 << 16, strideH <= 1 << 16 else { throw c.invalid("strides (\(strideH), \(strideW))") }
        guard padding == 1 || padding == 2 else { throw c.unsupported("padding code \(padding)") }
        let weights = try floatWeights(c, 1)
        guard weights.rank == 4 else { throw c.unsupported("\(weights.rank)-D weights") }
        let x = try c.nhwcShape(0)
        guard x.h > 0, x.w > 0 else { throw c.invalid("empty input") }
        let totals = padding == 1
            ? (h: max(0, weights.shape[1] - (x.h - 1) % strideH - 1), w: max(0, weights.shape[2] - (x.w - 1) % strideW - 1))
            : (h: 0, w: 0)
        return try transposedConvolution(c, data: 0, weights: 1, bias: 2, stride: (strideH, strideW), output: try c.outputShape(),
                                         activation: .identity, padTotals: totals)
    }

    /// Builds a `convTranspose2D` from OHWI weights. The pixels trimmed from the full output
    /// are `padTotals` when given, else whatever makes the declared output size; the first
    /// half (rounded down) comes off the top/left, as TFLite computes its padding.
    static func transposedConvolution(_ c: TFLiteNodeContext, data: Int, weights wIndex: Int, bias bIndex: Int,
                                      stride: (h: Int, w: Int), output: [Int], activation: Activation,
                                      padTotals: (h: Int, w: Int)?) throws -> TFLiteTranslation {
        let weights = try floatWeights(c, wIndex)
        guard weights.rank == 4 else { throw c.unsupported("\(weights.rank)-D weights (expects OHWI)") }
        let x = try c.nhwcShape(data)
        let (cout, kh, kw, cin) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        guard cin == x.c, cout > 0, kh > 0, kw > 0, x.h > 0, x.w > 0 else {
            throw c.invalid("weights \(weights.shape) do not fit \(x.c) input channels")
        }
        guard output.count == 4, output[3] == cout else { throw c.invalid("output shape \(output) does not have \(cout) channels") }
        let full = (h: (x.h - 1) * stride.h + kh, w: (x.w - 1) * stride.w + kw)
        let total = padTotals ?? (h: full.h - output[1], w: full.w - output[2])
        guard full.h - total.h == output[1], full.w - total.w == output[2] else {
            throw c.invalid("output shape \(output) does not match the \(full.h - total.h)x\(full.w - total.w) the options give")
        }
        let attributes = ConvTranspose2DAttributes(
            layout: .nhwc,
            kernel: (kh, kw),
            strides: stride,
            dilations: (1, 1),
            pads: (top: max(0, total.h) / 2, left: max(0, total.w) / 2,
                   bottom: max(0, total.h) - max(0, total.h) / 2, right: max(0, total.w) - max(0, total.w) / 2),
            outputPadding: (max(0, -total.h), max(0, -total.w)),
            groups: 1,
            activation: activation)
        let iohw = ReferenceDataMovement.transpose(weights, perm: [3, 0, 1, 2])
        return .node(.convTranspose2D(attributes),
                     inputs: [try c.input(data), c.addConstant(iohw, suffix: "weights"), try bias(c, bIndex, count: cout)])
    }

    /// FULLY_CONNECTED: input flattened to `[-1, K]`, weights `[N, K]`, bias `[N]`: a Gemm with
    /// transB; with keep_num_dims (or a non-2-D output) the result is reshaped to the declared output.
    static let fullyConnected: Rule = { c in
        let o = try c.options(Options.fullyConnected)
        guard try c.byte(o, 1) == 0 else { throw c.unsupported("shuffled weights") }
        let w = try c.inputShape(1)
        guard w.count == 2, w[1] > 0 else { throw c.unsupported("weights of shape \(w) (expects [N, K])") }
        let activation = try c.fusedActivation(o, 0)
        let flat = c.addNode(.reshape(allowZero: false), inputs: [try c.input(0), c.addInts([-1, w[1]], suffix: "flat_shape")], suffix: "flat")
        let gemm = Operator.gemm(alpha: 1, beta: 1, transA: false, transB: true)
        let inputs = [flat, try c.input(1), try bias(c, 2, count: w[0])]
        let out = try c.outputShape()
        if out.count == 2 { return .node(gemm, inputs: inputs, activation: activation) }
        var y = c.addNode(gemm, inputs: inputs, suffix: "gemm")
        if activation != .identity { y = c.addNode(.activation(activation), inputs: [y], suffix: "activation") }
        return .node(.reshape(allowZero: true), inputs: [y, c.addInts(out, suffix: "shape")])
    }

    /// Weight input `i` as a float constant.
    static func floatWeights(_ c: TFLiteNodeContext, _ i: Int) throws -> Tensor {
        let weights = try c.requireConstant(i, "weights")
        guard weights.dataType == .float32 else { throw c.unsupported("integer (quantized) weights") }
        return weights
    }

    /// Optional bias input `i`, checked to hold `count` values when constant.
    static func bias(_ c: TFLiteNodeContext, _ i: Int, count: Int) throws -> ValueID? {
        guard c.hasInput(i) else { return nil }
        if let b = try c.constant(i), b.count != count { throw c.invalid("bias of shape \(b.shape) for \(count) output channels") }
        return try c.input(i)
    }

    // MARK: Pooling

    static func pool(isMax: Bool) -> Rule {
        { c in
            let o = try c.options(Options.pool2D)
            _ = try c.nhwcShape(0)
            let attributes = Pool2DAttributes(
                layout: .nhwc,
                kernel: try c.pair(o, h: 4, w: 3, default: 0, "filter size"),
                strides: try c.pair(o, h: 2, w: 1, default: 0, "strides"),
                padding: try c.padding(o, 0),
                ceilMode: false,
                // TFLite averages only the cells inside the input.
                countIncludePad: false)
            let op: Operator = isMax ? .maxPool2D(attributes) : .averagePool2D(attributes)
            return .node(op, inputs: [try c.input(0)], activation: try c.fusedActivation(o, 5))
        }
    }

    // MARK: Shapes and data movement

    /// RESHAPE: the shape input when constant, else the options' new_shape, else the declared output.
    static let reshape: Rule = { c in
        var target: [Int]
        if c.hasInput(1), let shape = try c.constant(1) {
            target = TFLiteNodeContext.clampedInts(shape)
        } else if let options = try c.options(Options.reshape), try options.has(0) {
            target = try options.int32s(0).map { Int($0) }
        } else {
            target = try c.outputShape()
        }
        if target.isEmpty, try c.outputShape().count > 0 { target = try c.outputShape() }
        return .node(.reshape(allowZero: true), inputs: [try c.input(0), c.addInts(target, suffix: "shape")])
    }

    /// SQUEEZE, EXPAND_DIMS: a reshape to the declared output shape.
    static let reshapeToOutput: Rule = { c in
        .node(.reshape(allowZero: true), inputs: [try c.input(0), c.addInts(try c.outputShape(), suffix: "shape")])
    }

    /// PAD, PADV2, MIRROR_PAD: paddings `[rank, 2]` (before, after) become ONNX order.
    static func pad(mode: Operator.PadMode) -> Rule {
        { c in
            let pads = try c.constantInts(1, "the paddings")
            let rank = try c.inputShape(0).count
            guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else {
                throw c.invalid("paddings \(pads) do not fit rank \(rank)")
            }
            let onnxPads = (0..<rank).map { pads[2 * $0] } + (0..<rank).map { pads[2 * $0 + 1] }
            return .node(.pad(mode: mode), inputs: [try c.input(0), c.addInts(onnxPads, suffix: "pads"), mode == .constant ? try c.optionalInput(2) : nil])
        }
    }

    /// TFLite's scale for half-pixel and asymmetric modes is in/out, the same as ONNX's
    /// 1 / (out/in); align_corners uses (in - 1)/(out - 1) in both.
    static func resizeTarget(_ c: TFLiteNodeContext) throws -> Tensor {
        let size = try c.constantInts(1, "the output size")
        let x = try c.nhwcShape(0)
        guard size.count == 2, size[0] > 0, size[1] > 0, size[0] <= 1 << 16, size[1] <= 1 << 16, x.h > 0, x.w > 0 else {
            throw c.invalid("output size \(size) for input \(try c.inputShape(0))")
        }
        return Tensor(shape: [4], ints: [x.n, size[0], size[1], x.c].map { Int64($0) })
    }

    static let resizeBilinear: Rule = { c in
        let o = try c.options(Options.resizeBilinear)
        // Fields 0 and 1 are the deprecated new_height/new_width.
        let (alignCorners, halfPixel) = (try c.bool(o, 2), try c.bool(o, 3))
        if alignCorners && halfPixel { throw c.unsupported("align_corners together with half_pixel_centers") }
        let attributes = ResizeAttributes(mode: .linear,
                                          coordinateTransform: alignCorners ? .alignCorners : halfPixel ? .halfPixel : .asymmetric,
                                          nearestRounding: .floor, layout: .nhwc)
        return .node(.resize(attributes), inputs: [try c.input(0), nil, nil, c.addConstant(try resizeTarget(c), suffix: "sizes")])
    }

    /// Nearest: align_corners rounds half away from zero; otherwise floor of
    /// `(x + offset) * in/out` with offset 0.5 for half-pixel centres.
    static let resizeNearestNeighbor: Rule = { c in
        let o = try c.options(Options.resizeNearestNeighbor)
        let (alignCorners, halfPixel) = (try c.bool(o, 0), try c.bool(o, 1))
        if alignCorners && halfPixel { throw c.unsupported("align_corners together with half_pixel_centers") }
        let attributes = ResizeAttributes(mode: .nearest,
                                          coordinateTransform: alignCorners ? .alignCorners : halfPixel ? .tfHalfPixelForNN : .asymmetric,
                                          nearestRounding: alignCorners ? .roundPreferCeil : .floor, layout: .nhwc)
        return .node(.resize(attributes), inputs: [try c.input(0), nil, nil, c.addConstant(try resizeTarget(c), suffix: "sizes")])
    }

    /// STRIDED_SLICE becomes Slice (masks resolved to bounds), then a reshape to the declared
    /// output when shrink_axis_mask drops axes. Ellipsis and new-axis masks are not supported.
    static let stridedSlice: Rule = { c in
        let o = try c.options(Options.stridedSlice)
        let (beginMask, endMask) = (try c.int(o, 0, default: 0), try c.int(o, 1, default: 0))
        let (ellipsisMask, newAxisMask, shrinkMask) = (try c.int(o, 2, default: 0), try c.int(o, 3, default: 0), try c.int(o, 4, default: 0))
        let offset = try c.bool(o, 5)
        guard ellipsisMask == 0, newAxisMask == 0 else { throw c.unsupported("ellipsis or new-axis masks") }
        let begin = try c.constantInts(1, "begin"), end = try c.constantInts(2, "end")
        let strides = c.hasInput(3) ? try c.constantInts(3, "strides") : [Int](repeating: 1, count: begin.count)
        let rank = try c.inputShape(0).count
        guard begin.count == end.count, strides.count == begin.count, begin.count <= rank, !strides.contains(0) else {
            throw c.invalid("begin \(begin), end \(end), strides \(strides) for rank \(rank)")
        }
        let (lowest, highest) = (Int(Int32.min), Int(Int32.max))
        var starts = [Int](), ends = [Int](), steps = [Int]()
        for axis in 0..<begin.count {
            let bit = 1 << axis
            var step = strides[axis]
            var s = beginMask & bit != 0 ? (step > 0 ? 0 : -1) : begin[axis]
            var e = endMask & bit != 0 ? (step > 0 ? highest : lowest) : (offset ? begin[axis] + end[axis] : end[axis])
            if shrinkMask & bit != 0 {
                s = begin[axis]
                e = s == -1 ? highest : s + 1
                step = 1
            }
            starts.append(max(min(s, highest), lowest)); ends.append(max(min(e, highest), lowest)); steps.append(step)
        }
        let inputs: [ValueID?] = [try c.input(0), c.addInts(starts, suffix: "starts"), c.addInts(ends, suffix: "ends"),
                                  c.addInts(Array(0..<begin.count), suffix: "axes"), c.addInts(steps, suffix: "steps")]
        if shrinkMask == 0 { return .node(.slice, inputs: inputs) }
        let sliced = c.addNode(.slice, inputs: inputs, suffix: "slice")
        return .node(.reshape(allowZero: true), inputs: [sliced, c.addInts(try c.outputShape(), suffix: "shape")])
    }

    /// SPLIT and SPLIT_V: part sizes come from the declared output shapes.
    static func split(axisInput: Int, dataInput: Int) -> Rule {
        { c in
            let axisValues = try c.constantInts(axisInput, "the axis")
            let rank = try c.inputShape(dataInput).count
            guard axisValues.count == 1, let raw = axisValues.first, raw >= -rank, raw < rank else { throw c.invalid("axis \(axisValues)") }
            let axis = raw < 0 ? raw + rank : raw
            let sizes = try (0..<c.op.outputs.count).map { i -> Int in
                let shape = try c.outputShape(i)
                guard shape.count == rank else { throw c.invalid("output \(i) has shape \(shape)") }
                return shape[axis]
            }
            return .node(.split(axis: axis), inputs: [try c.input(dataInput), c.addInts(sizes, suffix: "split")])
        }
    }

    // MARK: Folded at import

    /// DEQUANTIZE of a constant: float16 weights become float32; integer weights are
    /// `(q - zero_point) * scale`, per channel along quantized_dimension.
    static let dequantize: Rule = { c in
        guard let q = try c.constant(0) else { throw c.unsupported("dequantizing a tensor computed at run time") }
        let info = try c.inputInfo(0)
        if info.type.isFloatingPoint { return .constant(Tensor(shape: q.shape, floats: q.floats)) }
        guard let quantization = info.quantization else { throw c.invalid("integer input without quantization parameters") }
        let (scale, zeroPoint) = (quantization.scale, quantization.zeroPoint)
        let axis = quantization.quantizedDimension
        let channels = scale.count
        guard channels == 1 || (axis >= 0 && axis < q.rank && q.shape[axis] == channels), zeroPoint.isEmpty || zeroPoint.count == channels else {
            throw c.invalid("\(channels) scales and \(zeroPoint.count) zero points for shape \(q.shape) along axis \(axis)")
        }
        let inner = channels == 1 ? 1 : q.shape[(axis + 1)...].reduce(1, *)
        let values = q.ints.enumerated().map { (i, v) -> Float in
            let channel = channels == 1 ? 0 : (i / inner) % channels
            return Float(v &- (zeroPoint.isEmpty ? 0 : zeroPoint[channel])) * scale[channel]
        }
        return .constant(Tensor(shape: q.shape, floats: values))
    }

    /// DENSIFY of a constant sparse tensor: expanded at import (`TFLiteSparsity`).
    static let densify: Rule = { c in
        let t = try c.inputTensor(0)
        let info = try c.inputInfo(0)
        guard let sparsity = info.sparsity else {
            if let dense = try c.constant(0) { return .constant(dense) }
            throw c.unsupported("densifying a tensor computed at run time")
        }
        let shape = try c.builder.shape(t)
        let range = c.builder.model.data(of: info)
        switch try c.builder.decode(info, range: range) {
        case .float32(let values):
            return .constant(Tensor(shape: shape, floats: try TFLiteSparsity.densify(values: values, zero: 0, shape: shape, sparsity: sparsity, name: info.name)))
        case .int64(let values):
            return .constant(Tensor(shape: shape, ints: try TFLiteSparsity.densify(values: values, zero: 0, shape: shape, sparsity: sparsity, name: info.name)))
        }
    }
}
