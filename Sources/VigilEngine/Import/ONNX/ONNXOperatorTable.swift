/// One rule per ONNX operator: reads attributes (by opset where they moved to inputs) and
/// returns the Vigil operator. Adding an operator is one entry here.
enum ONNXOperatorTable {
    typealias Rule = @Sendable (inout ONNXNodeContext) throws -> ONNXTranslation

    static let rules: [String: Rule] = {
        var r: [String: Rule] = [:]
        r["Conv"] = conv
        r["ConvTranspose"] = convTranspose
        r["BatchNormalization"] = { c in
            .node(.batchNormalization(epsilon: c.float("epsilon", default: 1e-5), layout: .nchw), inputs: Array(c.inputs.prefix(5)))
        }
        r["Relu"] = activation(.relu)
        r["Sigmoid"] = activation(.sigmoid)
        r["Tanh"] = activation(.tanh)
        r["HardSwish"] = activation(.hardSwish)
        r["LeakyRelu"] = { c in .node(.activation(.leakyRelu(alpha: c.float("alpha", default: 0.01))), inputs: [try c.input(0)]) }
        r["HardSigmoid"] = { c in
            .node(.activation(.hardSigmoid(alpha: c.float("alpha", default: 0.2), beta: c.float("beta", default: 0.5))), inputs: [try c.input(0)])
        }
        r["Clip"] = clip
        r["PRelu"] = { c in .node(.prelu, inputs: [try c.input(0), try c.input(1)]) }
        r["Add"] = binary(.add)
        r["Sub"] = binary(.sub)
        r["Mul"] = binary(.mul)
        r["Div"] = binary(.div)
        r["Pow"] = binary(.pow)
        r["Max"] = binary(.max)
        r["Min"] = binary(.min)
        r["MaxPool"] = { c in .node(.maxPool2D(try pool(&c)), inputs: [try c.input(0)]) }
        r["AveragePool"] = { c in .node(.averagePool2D(try pool(&c)), inputs: [try c.input(0)]) }
        r["GlobalAveragePool"] = { c in .node(.globalAveragePool(layout: .nchw), inputs: [try c.input(0)]) }
        r["ReduceMean"] = { c in
            let keep = c.int("keepdims", default: 1) != 0
            if c.opset < 18, let axes = c.ints("axes") {
                let axesID = c.addConstant(Tensor(shape: [axes.count], ints: axes.map { Int64($0) }), suffix: "axes")
                return .node(.reduceMean(keepDims: keep), inputs: [try c.input(0), axesID])
            }
            return .node(.reduceMean(keepDims: keep), inputs: [try c.input(0), c.optionalInput(1)])
        }
        r["Concat"] = { c in .node(.concat(axis: c.int("axis", default: 0)), inputs: c.inputs) }
        r["Split"] = { c in
            if c.opset < 13, let split = c.ints("split") {
                let id = c.addConstant(Tensor(shape: [split.count], ints: split.map { Int64($0) }), suffix: "split")
                return .node(.split(axis: c.int("axis", default: 0)), inputs: [try c.input(0), id])
            }
            return .node(.split(axis: c.int("axis", default: 0)), inputs: [try c.input(0), c.optionalInput(1)])
        }
        r["Slice"] = slice
        r["Reshape"] = { c in .node(.reshape(allowZero: c.int("allowzero", default: 0) != 0), inputs: [try c.input(0), try c.input(1)]) }
        r["Transpose"] = { c in .node(.transpose(perm: c.ints("perm") ?? []), inputs: [try c.input(0)]) }
        r["Flatten"] = { c in .node(.flatten(axis: c.int("axis", default: 1)), inputs: [try c.input(0)]) }
        r["Squeeze"] = axesToInput(.squeeze)
        r["Unsqueeze"] = axesToInput(.unsqueeze)
        r["Resize"] = resize
        r["Upsample"] = resize
        r["Pad"] = pad
        r["Softmax"] = { c in
            // Before opset 13 Softmax flattened to 2-D at `axis` (default 1); exporters put it on the last axis.
            .node(.softmax(axis: c.int("axis", default: c.opset < 13 ? 1 : -1)), inputs: [try c.input(0)])
        }
        r["MatMul"] = { c in .node(.matMul, inputs: [try c.input(0), try c.input(1)]) }
        r["Gemm"] = { c in
            .node(.gemm(alpha: c.float("alpha", default: 1), beta: c.float("beta", default: 1),
                        transA: c.int("transA", default: 0) != 0, transB: c.int("transB", default: 0) != 0),
                  inputs: [try c.input(0), try c.input(1), c.optionalInput(2)])
        }
        r["Shape"] = { c in .node(.shape(start: c.int("start", default: 0), end: c.attribute("end").map { Int($0.i) }), inputs: [try c.input(0)]) }
        r["Gather"] = { c in .node(.gather(axis: c.int("axis", default: 0)), inputs: [try c.input(0), try c.input(1)]) }
        r["Range"] = { c in .node(.range, inputs: [try c.input(0), try c.input(1), try c.input(2)]) }
        r["Expand"] = { c in .node(.expand, inputs: [try c.input(0), try c.input(1)]) }
        r["ConstantOfShape"] = { c in
            let value = try c.attribute("value").map { try ONNXTensorReader.tensor($0.t) } ?? Tensor(shape: [1], floats: [0])
            return .node(.constantOfShape(value: value), inputs: [try c.input(0)])
        }
        r["Cast"] = { c in .node(.cast(to: ONNXTensorReader.dataType(Int32(c.int("to", default: 1)))), inputs: [try c.input(0)]) }
        r["Identity"] = { c in .alias(try c.input(0)) }
        r["Dropout"] = { c in .alias(try c.input(0)) }
        r["Constant"] = constant
        r["DepthToSpace"] = { c in
            let mode = c.string("mode", default: "DCR")
            return .node(.depthToSpace(blockSize: c.int("blocksize", default: 1), columnRowDepth: mode == "CRD", layout: .nchw), inputs: [try c.input(0)])
        }
        return r
    }()

    static func activation(_ a: Activation) -> Rule {
        { c in .node(.activation(a), inputs: [try c.input(0)]) }
    }

    static func binary(_ b: BinaryOperator) -> Rule {
        { c in .node(.binary(b), inputs: [try c.input(0), try c.input(1)]) }
    }

    /// Squeeze/Unsqueeze took `axes` as an attribute before opset 13.
    static func axesToInput(_ op: Operator) -> Rule {
        { c in
            if let axes = c.ints("axes") {
                let id = c.addConstant(Tensor(shape: [axes.count], ints: axes.map { Int64($0) }), suffix: "axes")
                return .node(op, inputs: [try c.input(0), id])
            }
            return .node(op, inputs: [try c.input(0), c.optionalInput(1)])
        }
    }

    static func padding(_ c: ONNXNodeContext, spatialRank: Int) throws -> Padding {
        switch c.string("auto_pad", default: "NOTSET") {
        case "SAME_UPPER": return .sameUpper
        case "SAME_LOWER": return .sameLower
        case "VALID": return .zero
        case "NOTSET", "":
            let pads = c.ints("pads") ?? [Int](repeating: 0, count: 2 * spatialRank)
            guard pads.count == 4 else { throw c.unsupported("pads \(pads) (only 2-D is supported)") }
            guard pads.allSatisfy({ $0 >= 0 }) else { throw c.invalid("negative pads \(pads)") }
            return .explicit(top: pads[0], left: pads[1], bottom: pads[2], right: pads[3])
        case let other: throw c.unsupported("auto_pad \(other)")
        }
    }

    static func pair(_ c: ONNXNodeContext, _ key: String, default value: Int) throws -> (h: Int, w: Int) {
        guard let v = c.ints(key) else { return (value, value) }
        guard v.count == 2 else { throw c.unsupported("\(key) \(v) (only 2-D is supported)") }
        guard v.allSatisfy({ $0 > 0 }) else { throw c.invalid("\(key) \(v) must be positive") }
        return (v[0], v[1])
    }

    static let conv: Rule = { c in
        guard let weights = c.constant(1) else { throw c.unsupported("weights that are not constant") }
        guard weights.rank == 4 else { throw c.unsupported("a \(weights.rank - 2)-D convolution (only 2-D is supported)") }
        let kernel = try pair(c, "kernel_shape", default: 0)
        let attributes = Conv2DAttributes(
            layout: .nchw,
            kernel: kernel.h > 0 ? kernel : (weights.shape[2], weights.shape[3]),
            strides: try pair(c, "strides", default: 1),
            dilations: try pair(c, "dilations", default: 1),
            padding: try padding(c, spatialRank: 2),
            groups: c.int("group", default: 1),
            activation: .identity)
        guard attributes.groups > 0 else { throw c.invalid("group must be positive") }
        return .node(.conv2D(attributes), inputs: [try c.input(0), try c.input(1), c.optionalInput(2)])
    }

    static let convTranspose: Rule = { c in
        guard let weights = c.constant(1) else { throw c.unsupported("weights that are not constant") }
        guard weights.rank == 4 else { throw c.unsupported("a \(weights.rank - 2)-D transposed convolution (only 2-D is supported)") }
        if c.ints("output_shape") != nil { throw c.unsupported("output_shape (give pads instead)") }
        let autoPad = c.string("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" || autoPad == "VALID" else { throw c.unsupported("auto_pad \(autoPad)") }
        let pads = c.ints("pads") ?? [0, 0, 0, 0]
        guard pads.count == 4 else { throw c.unsupported("pads \(pads)") }
        let outputPadding = c.ints("output_padding") ?? [0, 0]
        let attributes = ConvTranspose2DAttributes(
            layout: .nchw,
            kernel: (weights.shape[2], weights.shape[3]),
            strides: try pair(c, "strides", default: 1),
            dilations: try pair(c, "dilations", default: 1),
            pads: (pads[0], pads[1], pads[2], pads[3]),
            outputPadding: (outputPadding[0], outputPadding.count > 1 ? outputPadding[1] : 0),
            groups: c.int("group", default: 1),
            activation: .identity)
        return .node(.convTranspose2D(attributes), inputs: [try c.input(0), try c.input(1), c.optionalInput(2)])
    }

    static func pool(_ c: inout ONNXNodeContext) throws -> Pool2DAttributes {
        guard c.ints("kernel_shape")?.count == 2 else { throw c.unsupported("kernel_shape \(c.ints("kernel_shape") ?? []) (only 2-D pooling)") }
        if let d = c.ints("dilations"), d.contains(where: { $0 != 1 }) { throw c.unsupported("pooling dilations \(d)") }
        return Pool2DAttributes(
            layout: .nchw,
            kernel: try pair(c, "kernel_shape", default: 1),
            strides: try pair(c, "strides", default: 1),
            padding: try padding(c, spatialRank: 2),
            ceilMode: c.int("ceil_mode", default: 0) != 0,
            countIncludePad: c.int("count_include_pad", default: 0) != 0)
    }

    /// Clip with constant bounds becomes an activation; bounds moved from attributes to inputs in opset 11.
    static let clip: Rule = { c in
        var lo = -Float.infinity, hi = Float.infinity
        if c.opset < 11 {
            lo = c.float("min", default: lo); hi = c.float("max", default: hi)
        } else {
            if let id = c.optionalInput(1) {
                guard let t = c.builder.graph.constants[id] else { throw c.unsupported("a min bound that is not constant") }
                lo = t.floats.first ?? lo
            }
            if let id = c.optionalInput(2) {
                guard let t = c.builder.graph.constants[id] else { throw c.unsupported("a max bound that is not constant") }
                hi = t.floats.first ?? hi
            }
        }
        let a: Activation = (lo == 0 && hi == .infinity) ? .relu : .clip(min: lo, max: hi)
        return .node(.activation(a), inputs: [try c.input(0)])
    }

    /// Slice took starts/ends/axes as attributes before opset 10.
    static let slice: Rule = { c in
        if c.opset < 10 {
            guard let starts = c.ints("starts"), let ends = c.ints("ends") else { throw c.invalid("missing starts/ends") }
            let axes = c.ints("axes") ?? Array(0..<starts.count)
            func const(_ v: [Int], _ s: String) -> ValueID { c.addConstant(Tensor(shape: [v.count], ints: v.map { Int64($0) }), suffix: s) }
            return .node(.slice, inputs: [try c.input(0), const(starts, "starts"), const(ends, "ends"), const(axes, "axes"), nil])
        }
        return .node(.slice, inputs: [try c.input(0), try c.input(1), try c.input(2), c.optionalInput(3), c.optionalInput(4)])
    }

    static let resize: Rule = { c in
        let modeName = c.string("mode", default: "nearest")
        let mode: ResizeAttributes.Mode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw c.unsupported("mode \(modeName)")
        }
        let transformName = c.string("coordinate_transformation_mode", default: c.opset < 11 ? "asymmetric" : "half_pixel")
        let transform: ResizeAttributes.CoordinateTransform
        switch transformName {
        case "half_pixel": transform = .halfPixel
        case "pytorch_half_pixel": transform = .pytorchHalfPixel
        case "align_corners": transform = .alignCorners
        case "asymmetric": transform = .asymmetric
        case "tf_half_pixel_for_nn": transform = .tfHalfPixelForNN
        default: throw c.unsupported("coordinate_transformation_mode \(transformName)")
        }
        let roundingName = c.string("nearest_mode", default: "round_prefer_floor")
        let rounding: ResizeAttributes.NearestRounding
        switch roundingName {
        case "round_prefer_floor": rounding = .roundPreferFloor
        case "round_prefer_ceil": rounding = .roundPreferCeil
        case "floor": rounding = .floor
        case "ceil": rounding = .ceil
        default: throw c.unsupported("nearest_mode \(roundingName)")
        }
        if c.int("antialias", default: 0) != 0 { throw c.unsupported("antialias") }
        if c.ints("axes") != nil { throw c.unsupported("axes") }
        if c.string("keep_aspect_ratio_policy", default: "stretch") != "stretch" { throw c.unsupported("keep_aspect_ratio_policy") }
        let attributes = ResizeAttributes(mode: mode, coordinateTransform: transform, nearestRounding: rounding, layout: .nchw)
        // Opset 10 (and Upsample): X, scales. Opset 11+: X, roi, scales, sizes.
        if c.opset < 11 || c.node.opType == "Upsample" {
            if let scales = c.floats("scales") {
                let id = c.addConstant(Tensor(shape: [scales.count], floats: scales), suffix: "scales")
                return .node(.resize(attributes), inputs: [try c.input(0), nil, id, nil])
            }
            return .node(.resize(attributes), inputs: [try c.input(0), nil, try c.input(1), nil])
        }
        return .node(.resize(attributes), inputs: [try c.input(0), c.optionalInput(1), c.optionalInput(2), c.optionalInput(3)])
    }

    static let pad: Rule = { c in
        let modeName = c.string("mode", default: "constant")
        let mode: Operator.PadMode
        switch modeName {
        case "constant": mode = .constant
        case "reflect": mode = .reflect
        case "edge": mode = .edge
        default: throw c.unsupported("mode \(modeName)")
        }
        if c.opset < 11 {
            guard let pads = c.ints("pads") else { throw c.invalid("missing pads") }
            let padsID = c.addConstant(Tensor(shape: [pads.count], ints: pads.map { Int64($0) }), suffix: "pads")
            let valueID = c.addConstant(Tensor(shape: [1], floats: [c.float("value", default: 0)]), suffix: "value")
            return .node(.pad(mode: mode), inputs: [try c.input(0), padsID, valueID])
        }
        if c.optionalInput(3) != nil { throw c.unsupported("the axes input") }
        return .node(.pad(mode: mode), inputs: [try c.input(0), try c.input(1), c.optionalInput(2)])
    }

    static let constant: Rule = { c in
        if let t = c.attribute("value") { return .constant(try ONNXTensorReader.tensor(t.t)) }
        if let f = c.attribute("value_float") { return .constant(Tensor(shape: [], floats: [f.f])) }
        if let f = c.attribute("value_floats") { return .constant(Tensor(shape: [f.floats.count], floats: f.floats)) }
        if let i = c.attribute("value_int") { return .constant(Tensor(shape: [], ints: [i.i])) }
        if let i = c.attribute("value_ints") { return .constant(Tensor(shape: [i.ints.count], ints: i.ints)) }
        throw c.unsupported("a Constant without a tensor value")
    }
}
