/// Output shapes of a node from its input shapes and the values of its constant inputs.
/// Runs at plan time, when every dimension is known.
enum ShapeInference {
    /// `shapes[i]` is input i's shape (nil when absent); `constants[i]` its value when constant.
    static func outputShapes(_ node: Node, shapes: [[Int]?], constants: [Tensor?]) throws -> [[Int]] {
        let outputs = try inferShapes(node, shapes: shapes, constants: constants)
        // Extra node outputs may go unused (MaxPool indices); outputs the node does not have cannot be planned.
        guard outputs.count <= node.outputs.count else {
            throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "produces \(outputs.count) outputs, the node has \(node.outputs.count)")
        }
        // Corrupt attributes or scales can ask for absurd sizes; refuse before the arena tries.
        for shape in outputs {
            var count = 1, overflow = false
            for d in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: max(d, 0)) }
            guard !overflow, count <= maximumElements else {
                throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "output shape \(shape) exceeds \(maximumElements) elements")
            }
        }
        return outputs
    }

    /// Largest tensor a plan accepts (16 GiB of floats).
    static let maximumElements = 1 << 32

    private static func inferShapes(_ node: Node, shapes: [[Int]?], constants: [Tensor?]) throws -> [[Int]] {
        func shape(_ i: Int) throws -> [Int] {
            guard i < shapes.count, let s = shapes[i] else {
                throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "missing input \(i)")
            }
            return s
        }
        func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }
        func needConstant(_ i: Int, _ what: String) throws -> Tensor {
            guard let c = constant(i) else {
                throw EngineError.unsupportedAttribute(op: node.op.name, node: node.name, detail: "\(what) computed at run time")
            }
            return c
        }
        func invalid(_ reason: String) -> EngineError { .invalidNode(op: node.op.name, node: node.name, reason: reason) }
        /// An optional per-channel input (bias) must hold exactly `channels` values.
        func checkBias(_ i: Int, channels: Int) throws {
            guard i < shapes.count, let b = shapes[i] else { return }
            guard b.reduce(1, *) == channels else { throw invalid("bias has shape \(b), expected \(channels) values") }
        }
        func spatial(_ s: [Int], _ layout: SpatialLayout) throws -> (n: Int, h: Int, w: Int, c: Int) {
            guard s.count == 4 else { throw invalid("expects a 4-D input, got \(s)") }
            let a = layout.axesNHWC
            return (s[a[0]], s[a[1]], s[a[2]], s[a[3]])
        }
        func assemble(_ n: Int, _ h: Int, _ w: Int, _ c: Int, _ layout: SpatialLayout) -> [Int] {
            layout == .nchw ? [n, c, h, w] : [n, h, w, c]
        }

        switch node.op {
        case .conv2D(let a):
            let x = try spatial(try shape(0), a.layout)
            let wShape = try shape(1)
            guard a.groups > 0, min(a.strides.h, a.strides.w, a.dilations.h, a.dilations.w) > 0 else {
                throw invalid("groups \(a.groups), strides \(a.strides) and dilations \(a.dilations) must be positive")
            }
            guard wShape.count == 4, wShape[1] * a.groups == x.c, wShape[0] % a.groups == 0 else {
                throw invalid("input channels \(x.c) do not match weights \(wShape) with \(a.groups) groups")
            }
            // Kernels size their loops from the attributes and index the weights with them.
            guard wShape[2] == a.kernel.h, wShape[3] == a.kernel.w, a.kernel.h > 0, a.kernel.w > 0 else {
                throw invalid("kernel \(a.kernel) does not match weights \(wShape)")
            }
            try checkBias(2, channels: wShape[0])
            let (pt, pb) = a.padding.resolve(axis: 0, inputSize: x.h, kernel: a.kernel.h, stride: a.strides.h, dilation: a.dilations.h)
            let (pl, pr) = a.padding.resolve(axis: 1, inputSize: x.w, kernel: a.kernel.w, stride: a.strides.w, dilation: a.dilations.w)
            let oh = (x.h + pt + pb - (a.kernel.h - 1) * a.dilations.h - 1) / a.strides.h + 1
            let ow = (x.w + pl + pr - (a.kernel.w - 1) * a.dilations.w - 1) / a.strides.w + 1
            guard oh > 0, ow > 0 else { throw invalid("output would be empty for input \(try shape(0))") }
            return [assemble(x.n, oh, ow, wShape[0], a.layout)]
        case .convTranspose2D(let a):
            let x = try spatial(try shape(0), a.layout)
            let wShape = try shape(1)
            guard a.groups > 0, min(a.strides.h, a.strides.w, a.dilations.h, a.dilations.w) > 0 else {
                throw invalid("groups \(a.groups), strides \(a.strides) and dilations \(a.dilations) must be positive")
            }
            guard wShape.count == 4, wShape[0] == x.c, x.c % a.groups == 0 else {
                throw invalid("input channels \(x.c) do not match weights \(wShape) with \(a.groups) groups")
            }
            guard wShape[2] == a.kernel.h, wShape[3] == a.kernel.w, a.kernel.h > 0, a.kernel.w > 0 else {
                throw invalid("kernel \(a.kernel) does not match weights \(wShape)")
            }
            guard min(a.pads.top, a.pads.left, a.pads.bottom, a.pads.right, a.outputPadding.h, a.outputPadding.w) >= 0 else {
                throw invalid("negative pads \(a.pads) or output padding \(a.outputPadding)")
            }
            try checkBias(2, channels: wShape[1] * a.groups)
            let oh = (x.h - 1) * a.strides.h + (a.kernel.h - 1) * a.dilations.h + 1 + a.outputPadding.h - a.pads.top - a.pads.bottom
            let ow = (x.w - 1) * a.strides.w + (a.kernel.w - 1) * a.dilations.w + 1 + a.outputPadding.w - a.pads.left - a.pads.right
            guard oh > 0, ow > 0 else { throw invalid("output would be empty") }
            return [assemble(x.n, oh, ow, wShape[1] * a.groups, a.layout)]
        case .maxPool2D(let a), .averagePool2D(let a):
            let x = try spatial(try shape(0), a.layout)
            guard min(a.kernel.h, a.kernel.w, a.strides.h, a.strides.w) > 0 else {
                throw invalid("kernel \(a.kernel) and strides \(a.strides) must be positive")
            }
            let (pt, pb) = a.padding.resolve(axis: 0, inputSize: x.h, kernel: a.kernel.h, stride: a.strides.h, dilation: 1)
            let (pl, pr) = a.padding.resolve(axis: 1, inputSize: x.w, kernel: a.kernel.w, stride: a.strides.w, dilation: 1)
            let oh = ReferencePooling.pooledSize(input: x.h, kernel: a.kernel.h, stride: a.strides.h, padBefore: pt, padAfter: pb, ceilMode: a.ceilMode)
            let ow = ReferencePooling.pooledSize(input: x.w, kernel: a.kernel.w, stride: a.strides.w, padBefore: pl, padAfter: pr, ceilMode: a.ceilMode)
            guard oh > 0, ow > 0 else { throw invalid("output would be empty") }
            return [assemble(x.n, oh, ow, x.c, a.layout)]
        case .globalAveragePool(let layout):
            let x = try spatial(try shape(0), layout)
            return [assemble(x.n, 1, 1, x.c, layout)]
        case .batchNormalization(_, let layout):
            let x = try shape(0)
            guard !x.isEmpty else { throw invalid("expects at least a 1-D input") }
            let c = x[layout == .nchw ? min(1, x.count - 1) : x.count - 1]
            for i in 1...4 {
                guard try shape(i).reduce(1, *) == c else { throw invalid("parameter \(i) has shape \(try shape(i)), expected \(c) channels") }
            }
            return [x]
        case .prelu:
            let x = try shape(0)
            guard let b = try? ReferenceDataMovement.broadcastShape(x, try shape(1)), b == x else {
                throw invalid("slope \(try shape(1)) does not broadcast to \(x)")
            }
            return [x]
        case .activation, .identity, .cast:
            return [try shape(0)]
        case .binary:
            do { return [try ReferenceDataMovement.broadcastShape(try shape(0), try shape(1))] }
            catch { throw invalid("shapes \(try shape(0)) and \(try shape(1)) do not broadcast") }
        case .softmax(let axis):
            let x = try shape(0)
            let a = ReferenceDataMovement.normalizedAxis(axis, rank: x.count)
            guard a >= 0, a < x.count else { throw invalid("axis \(axis) out of range for rank \(x.count)") }
            return [x]
        case .concat(let axis):
            let first = try shape(0)
            let a = ReferenceDataMovement.normalizedAxis(axis, rank: first.count)
            guard a >= 0, a < first.count else { throw invalid("axis \(axis) out of range for rank \(first.count)") }
            var out = first
            out[a] = 0
            for i in 0..<node.inputs.count {
                let s = try shape(i)
                guard s.count == first.count, (0..<s.count).allSatisfy({ $0 == a || s[$0] == first[$0] }) else {
                    throw invalid("input shapes differ off the concatenation axis")
                }
                out[a] += s[a]
            }
            return [out]
        case .resize(let a):
            let x = try shape(0)
            guard x.count == 4 else { throw invalid("Resize supports 4-D inputs") }
            let out: [Int]
            do {
                out = try ReferenceInterpreter.resizeTarget(x, scales: constant(2), sizes: constant(3)).0
            } catch {
                throw EngineError.unsupportedAttribute(op: "Resize", node: node.name, detail: "scales/sizes must be constant and valid")
            }
            // The kernel keeps N and C; a plan with other sizes there would overrun buffers.
            let (n, c) = (a.layout.axesNHWC[0], a.layout.axesNHWC[3])
            guard out[n] == x[n], out[c] == x[c] else {
                throw EngineError.unsupportedAttribute(op: "Resize", node: node.name, detail: "scaling the batch or channel axis (\(x) to \(out))")
            }
            return [out]
        case .depthToSpace(let b, _, let layout):
            let x = try spatial(try shape(0), layout)
            guard b > 0, x.c % (b * b) == 0 else { throw invalid("channels \(x.c) not divisible by \(b * b)") }
            return [assemble(x.n, x.h * b, x.w * b, x.c / (b * b), layout)]
        default:
            // Data-movement and matrix operators: evaluate the reference operator on a zero tensor
            // of the right shape. They are cheap and this keeps one definition of their semantics.
            var probes: [Tensor?] = []
            for i in 0..<node.inputs.count {
                if let c = constant(i) { probes.append(c) }
                else if i < shapes.count, let s = shapes[i] { probes.append(Tensor(shape: s, repeating: 0)) }
                else { probes.append(nil) }
            }
            return try ReferenceInterpreter.evaluate(node, probes).map(\.shape)
        }
    }
}
