/// Runs a graph node by node with the naive reference operators, on logical tensors.
///
/// Slow and simple on purpose: it is the oracle the planned executor is tested against, and
/// the constant folder uses its `evaluate` for shape plumbing.
public enum ReferenceInterpreter {
    /// Runs `graph` on named inputs and returns every graph output by name.
    public static func run(_ graph: Graph, inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = graph.constants
        for id in graph.inputs {
            guard let tensor = inputs[graph.values[id].name] else { throw EngineError.missingInput(name: graph.values[id].name) }
            values[id] = tensor
        }
        for node in graph.nodes {
            let args = try node.inputs.map { input -> Tensor? in
                guard let input else { return nil }
                guard let value = values[input] else {
                    throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "input '\(graph.values[input].name)' is not computed before use")
                }
                return value
            }
            let results = try evaluate(node, args)
            for (id, tensor) in zip(node.outputs, results) { values[id] = tensor }
        }
        var outputs: [String: Tensor] = [:]
        for id in graph.outputs { outputs[graph.values[id].name] = values[id] }
        return outputs
    }

    /// Evaluates one node on concrete inputs, wrapping failures with the node's name.
    static func evaluate(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        do {
            return try evaluate(node.op, inputs, outputCount: node.outputs.count)
        } catch let error as ReferenceError {
            guard case .invalid(let reason) = error else { throw error }
            throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: reason)
        }
    }

    static func evaluate(_ op: Operator, _ inputs: [Tensor?], outputCount: Int) throws -> [Tensor] {
        func input(_ i: Int) throws -> Tensor {
            guard i < inputs.count, let t = inputs[i] else { throw ReferenceError.invalid("missing input \(i)") }
            return t
        }
        func optional(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

        switch op {
        case .conv2D(let a):
            return [try ReferenceConvolution.conv2D(try input(0), weights: try input(1), bias: optional(2), a)]
        case .convTranspose2D(let a):
            return [try ReferenceConvolution.convTranspose2D(try input(0), weights: try input(1), bias: optional(2), a)]
        case .batchNormalization(let epsilon, let layout):
            return [try ReferenceElementwise.batchNormalization(try input(0), scale: try input(1), bias: try input(2),
                                                                mean: try input(3), variance: try input(4), epsilon: epsilon, layout: layout)]
        case .activation(let a):
            return [ReferenceElementwise.activation(try input(0), a)]
        case .prelu:
            return [try ReferenceElementwise.prelu(try input(0), slope: try input(1))]
        case .binary(let b):
            return [try ReferenceElementwise.binary(try input(0), try input(1), b)]
        case .maxPool2D(let a):
            return [try ReferencePooling.pool(try input(0), a, isMax: true)]
        case .averagePool2D(let a):
            return [try ReferencePooling.pool(try input(0), a, isMax: false)]
        case .globalAveragePool(let layout):
            return [try ReferencePooling.globalAveragePool(try input(0), layout: layout)]
        case .reduceMean(let keepDims):
            let axes = optional(1)?.ints.map { Int($0) } ?? []
            return [try ReferencePooling.reduceMean(try input(0), axes: axes, keepDims: keepDims)]
        case .concat(let axis):
            return [try ReferenceDataMovement.concat(try inputs.indices.map { try input($0) }, axis: axis)]
        case .split(let axis):
            let x = try input(0)
            guard outputCount > 0 else { throw ReferenceError.invalid("Split has no outputs") }
            let dim = x.shape[try ReferenceDataMovement.checkedAxis(axis, rank: x.rank, "Split")]
            let sizes: [Int]
            if let split = optional(1) {
                sizes = split.ints.map { Int($0) }
            } else {
                // Equal parts, the last one smaller when it does not divide (opset 18).
                let part = (dim + outputCount - 1) / outputCount
                sizes = (0..<outputCount).map { min(part, max(0, dim - $0 * part)) }
            }
            return try ReferenceDataMovement.split(x, axis: axis, sizes: sizes)
        case .slice:
            let x = try input(0)
            let starts = try input(1).ints.map { clampToInt($0) }
            let ends = try input(2).ints.map { clampToInt($0) }
            let axes = optional(3)?.ints.map { Int($0) } ?? Array(0..<starts.count)
            let steps = optional(4)?.ints.map { Int($0) } ?? [Int](repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0)
            else { throw ReferenceError.invalid("Slice parameters have inconsistent lengths or a zero step") }
            let normalized = try axes.map { try ReferenceDataMovement.checkedAxis($0, rank: x.rank, "Slice") }
            guard Set(normalized).count == normalized.count else { throw ReferenceError.invalid("Slice axes \(axes) repeat") }
            return [ReferenceDataMovement.slice(x, starts: starts, ends: ends, axes: axes, steps: steps)]
        case .reshape(let allowZero):
            let x = try input(0)
            return [x.reshaped(try ReferenceDataMovement.reshapeTarget(inputShape: x.shape, requested: try input(1).ints, allowZero: allowZero))]
        case .transpose(let perm):
            let x = try input(0)
            let p = perm.isEmpty ? Array((0..<x.rank).reversed()) : perm
            guard p.sorted() == Array(0..<x.rank) else { throw ReferenceError.invalid("Transpose perm \(perm) does not fit rank \(x.rank)") }
            return [ReferenceDataMovement.transpose(x, perm: p)]
        case .flatten(let axis):
            let x = try input(0)
            // Flatten's axis may equal the rank (everything in the first dimension).
            let a = ReferenceDataMovement.normalizedAxis(axis, rank: x.rank)
            guard a >= 0, a <= x.rank else { throw ReferenceError.invalid("Flatten axis \(axis) is out of range for rank \(x.rank)") }
            return [x.reshaped([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])]
        case .squeeze:
            let x = try input(0)
            let axes = Set((optional(1)?.ints.map { ReferenceDataMovement.normalizedAxis(Int($0), rank: x.rank) }) ?? x.shape.indices.filter { x.shape[$0] == 1 })
            guard axes.allSatisfy({ $0 >= 0 && $0 < x.rank && x.shape[$0] == 1 }) else { throw ReferenceError.invalid("Squeeze axes \(axes.sorted()) are not of size 1 in \(x.shape)") }
            return [x.reshaped(x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))]
        case .unsqueeze:
            let x = try input(0)
            let rank = x.rank + (try input(1)).count
            let axes = Set(try input(1).ints.map { try ReferenceDataMovement.checkedAxis(Int($0), rank: rank, "Unsqueeze") })
            guard axes.count == (try input(1)).count else { throw ReferenceError.invalid("Unsqueeze axes repeat") }
            var shape = [Int](), source = x.shape.makeIterator()
            for axis in 0..<rank { shape.append(axes.contains(axis) ? 1 : (source.next() ?? 1)) }
            return [x.reshaped(shape)]
        case .resize(let a):
            let x = try input(0)
            guard x.rank == 4 else { throw ReferenceError.invalid("Resize supports 4-D inputs") }
            let (outShape, scales) = try resizeTarget(x.shape, scales: optional(2), sizes: optional(3))
            let (n, h, w, c) = (a.layout.axesNHWC[0], a.layout.axesNHWC[1], a.layout.axesNHWC[2], a.layout.axesNHWC[3])
            guard outShape[n] == x.shape[n], outShape[c] == x.shape[c] else { throw ReferenceError.invalid("Resize only scales the spatial axes") }
            return [try ReferenceResize.resize(x, layout: a.layout, outH: outShape[h], outW: outShape[w], scaleH: scales[h], scaleW: scales[w], a)]
        case .pad(let mode):
            let value = optional(2)?.floats.first ?? 0
            return [try ReferenceDataMovement.pad(try input(0), pads: try input(1).ints.map { Int($0) }, mode: mode, value: value)]
        case .softmax(let axis):
            let x = try input(0)
            _ = try ReferenceDataMovement.checkedAxis(axis, rank: x.rank, "Softmax")
            return [ReferenceMatrix.softmax(x, axis: axis)]
        case .matMul:
            return [try ReferenceMatrix.matMul(try input(0), try input(1))]
        case .gemm(let alpha, let beta, let transA, let transB):
            return [try ReferenceMatrix.gemm(try input(0), try input(1), optional(2), alpha: alpha, beta: beta, transA: transA, transB: transB)]
        case .shape(let start, let end):
            let shape = try input(0).shape
            let r = shape.count
            let s = min(max(start < 0 ? start + r : start, 0), r)
            let e = min(max(end.map { $0 < 0 ? $0 + r : $0 } ?? r, 0), r)
            let dims = s < e ? Array(shape[s..<e]) : []
            return [Tensor(shape: [dims.count], ints: dims.map { Int64($0) })]
        case .gather(let axis):
            return [try ReferenceDataMovement.gatherAlongAxis(try input(0), indices: try input(1), axis: axis)]
        case .range:
            let (start, limit, delta) = (try input(0), try input(1), try input(2))
            if start.dataType == .int64 {
                let (s, l, d) = (start.ints[0], limit.ints[0], delta.ints[0])
                guard d != 0 else { throw ReferenceError.invalid("Range delta is zero") }
                let count = max(0, Int((Double(l - s) / Double(d)).rounded(.up)))
                try ReferenceDataMovement.checkedCount([count], "Range")
                return [Tensor(shape: [count], ints: (0..<count).map { s + Int64($0) * d })]
            }
            let (s, l, d) = (start.floats[0], limit.floats[0], delta.floats[0])
            guard d != 0 else { throw ReferenceError.invalid("Range delta is zero") }
            let steps = ((l - s) / d).rounded(.up)
            guard steps.isFinite, steps < Float(ShapeInference.maximumElements) else { throw ReferenceError.invalid("Range(\(s), \(l), \(d)) is too long") }
            let count = max(0, Int(steps))
            return [Tensor(shape: [count], floats: (0..<count).map { s + Float($0) * d })]
        case .expand:
            return [try ReferenceDataMovement.expand(try input(0), shape: try input(1).ints.map { Int($0) })]
        case .constantOfShape(let value):
            let shape = try input(0).ints.map { Int($0) }
            let count = try ReferenceDataMovement.checkedCount(shape, "ConstantOfShape")
            switch value.storage {
            case .float32(let v): return [Tensor(shape: shape, floats: [Float](repeating: v.first ?? 0, count: count))]
            case .int64(let v): return [Tensor(shape: shape, ints: [Int64](repeating: v.first ?? 0, count: count))]
            }
        case .cast(let to):
            let x = try input(0)
            return [to == .float32 ? Tensor(shape: x.shape, floats: x.floats) : Tensor(shape: x.shape, ints: x.ints)]
        case .identity:
            return [try input(0)]
        case .depthToSpace(let blockSize, let crd, let layout):
            let x = try input(0)
            guard x.rank == 4 else { throw ReferenceError.invalid("DepthToSpace needs a 4-D input") }
            let nhwc = layout == .nhwc ? x : ReferenceDataMovement.transpose(x, perm: [0, 2, 3, 1])
            let y = try ReferenceDataMovement.depthToSpaceNHWC(nhwc, blockSize: blockSize, columnRowDepth: crd)
            return [layout == .nhwc ? y : ReferenceDataMovement.transpose(y, perm: [0, 3, 1, 2])]
        }
    }

    static func clampToInt(_ v: Int64) -> Int { Int(max(min(v, Int64(Int32.max)), Int64(Int32.min))) }

    /// Output shape and per-axis scales of a Resize from its `scales` or `sizes` input.
    static func resizeTarget(_ shape: [Int], scales: Tensor?, sizes: Tensor?) throws -> ([Int], [Float]) {
        if let sizes, sizes.count > 0 {
            let out = sizes.ints.map { Int($0) }
            guard out.count == shape.count, out.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }) else { throw ReferenceError.invalid("Resize sizes \(out) do not fit \(shape)") }
            return (out, zip(out, shape).map { Float($0) / Float($1) })
        }
        guard let scales, scales.count == shape.count else { throw ReferenceError.invalid("Resize needs scales or sizes for every axis") }
        let s = scales.floats
        guard s.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw ReferenceError.invalid("Resize scales \(s) must be positive") }
        // Checked before converting: Int(Float) traps on values past Int.max.
        let sizes = zip(shape, s).map { (Float($0) * $1).rounded(.down) }
        guard sizes.allSatisfy({ $0 >= 1 && $0 <= Float(1 << 24) }) else { throw ReferenceError.invalid("Resize scales \(s) give output sizes \(sizes) for \(shape)") }
        return (sizes.map { Int($0) }, s)
    }
}
