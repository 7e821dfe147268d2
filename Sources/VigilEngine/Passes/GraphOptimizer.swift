/// Load-time rewrites that need no shapes: folding BatchNormalization into the producing
/// convolution, fusing activations into their producer, and dropping dead nodes.
public enum GraphOptimizer {
    public static func optimize(_ graph: Graph) -> Graph {
        var g = graph
        foldBatchNormalization(&g)
        foldPaddingIntoConvolutions(&g)
        foldScalarAffineIntoConvolutions(&g)
        recognizeActivationPatterns(&g)
        fuseActivations(&g)
        removeDeadNodes(&g)
        return g
    }

    /// Index of the node producing each value.
    static func producers(_ g: Graph) -> [ValueID: Int] {
        var result: [ValueID: Int] = [:]
        for (i, node) in g.nodes.enumerated() { for o in node.outputs { result[o] = i } }
        return result
    }

    /// Conv → BN with constant parameters, the conv output used only by the BN: scale the
    /// weights per output channel and shift the bias, so the BN disappears.
    static func foldBatchNormalization(_ g: inout Graph) {
        let consumers = g.consumerCounts()
        let producer = producers(g)
        var removed = Set<Int>()
        for (i, node) in g.nodes.enumerated() {
            guard case .batchNormalization(let epsilon, _) = node.op,
                  let x = node.inputs.first ?? nil, consumers[x] == 1, !g.outputs.contains(x),
                  let p = producer[x], Self.isFoldableConvolution(g.nodes[p].op),
                  node.inputs.count == 5, let params = try? node.inputs[1...4].map({ id -> Tensor in
                      guard let id, let t = g.constants[id] else { throw ReferenceError.invalid("") }
                      return t
                  }),
                  let wID = g.nodes[p].inputs[1], let weights = g.constants[wID]
            else { continue }
            let (scale, shift, mean, variance) = (params[0].floats, params[1].floats, params[2].floats, params[3].floats)
            // Output channel of each weight element: OIHW for Conv, [Cin, Cout/g, KH, KW] for ConvTranspose.
            let outputChannel: (Int) -> Int
            let cout: Int
            switch g.nodes[p].op {
            case .convTranspose2D(let a):
                // Malformed weights are left for the planner to reject with a message.
                guard weights.rank == 4, a.groups > 0, weights.shape[0] % a.groups == 0, weights.count > 0 else { continue }
                let (cog, taps) = (weights.shape[1], weights.shape[2] * weights.shape[3])
                let cig = weights.shape[0] / a.groups
                cout = cog * a.groups
                outputChannel = { i in (i / (cog * taps)) / cig * cog + (i / taps) % cog }
            default:
                cout = weights.shape[0]
                let per = weights.count / max(cout, 1)
                outputChannel = { i in i / per }
            }
            guard [scale, shift, mean, variance].allSatisfy({ $0.count == cout }) else { continue }
            var w = weights.floats
            var bias = constantBias(g, p, count: cout)
            guard bias.count == cout else { continue }  // malformed: left for the planner to reject
            let factors = (0..<cout).map { scale[$0] / (variance[$0] + epsilon).squareRoot() }
            for i in 0..<w.count { w[i] *= factors[outputChannel(i)] }
            for c in 0..<cout { bias[c] = (bias[c] - mean[c]) * factors[c] + shift[c] }
            replaceWeights(&g, p, Tensor(shape: weights.shape, floats: w), bias: bias, suffix: "bn_folded")
            g.nodes[p].outputs = node.outputs
            removed.insert(i)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Exporters spell SiLU as `x * sigmoid(x)` and HardSwish as `x * clip(x + 3, 0, 6) / 6`
    /// (or `x * hardSigmoid(x)`); rewrite them to one activation so they fuse into the conv.
    static func recognizeActivationPatterns(_ g: inout Graph) {
        var changed = true
        while changed {
            changed = false
            let consumers = g.consumerCounts()
            let producer = producers(g)
            func node(_ id: ValueID?) -> Node? { id.flatMap { producer[$0] }.map { g.nodes[$0] } }
            func single(_ id: ValueID) -> Bool { consumers[id] == 1 && !g.outputs.contains(id) }
            func scalar(_ id: ValueID?) -> Float? {
                guard let id, let t = g.constants[id], t.count == 1 else { return nil }
                return t.floats[0]
            }
            for (i, n) in g.nodes.enumerated() {
                guard case .binary(let op) = n.op, n.inputs.count == 2, let a = n.inputs[0], let b = n.inputs[1] else { continue }
                var x: ValueID?
                var removed: [ValueID] = []
                var activation: Activation?
                if op == .mul {
                    // x * sigmoid(x)  or  x * hardSigmoid(1/6, 0.5)(x)
                    for (lhs, rhs) in [(a, b), (b, a)] {
                        guard let p = node(rhs), single(rhs), p.inputs.first ?? nil == lhs else { continue }
                        if case .activation(.sigmoid) = p.op { x = lhs; removed = [rhs]; activation = .silu; break }
                        if case .activation(.hardSigmoid(let alpha, let beta)) = p.op, abs(alpha - 1 / 6) < 1e-6, beta == 0.5 {
                            x = lhs; removed = [rhs]; activation = .hardSwish; break
                        }
                    }
                } else if op == .div, scalar(b) == 6, let m = node(a), single(a), case .binary(.mul) = m.op,
                          let m0 = m.inputs[0], let m1 = m.inputs[1] {
                    // (x * clip(x + 3, 0, 6)) / 6
                    for (lhs, rhs) in [(m0, m1), (m1, m0)] {
                        guard let c = node(rhs), single(rhs), case .activation(.clip(0, 6)) = c.op,
                              let addOut = c.inputs.first ?? nil, single(addOut), let add = node(addOut),
                              case .binary(.add) = add.op else { continue }
                        let ok = (add.inputs[0] == lhs && scalar(add.inputs[1]) == 3) || (add.inputs[1] == lhs && scalar(add.inputs[0]) == 3)
                        if ok { x = lhs; removed = [a, rhs, addOut]; activation = .hardSwish; break }
                    }
                }
                guard let x, let activation else { continue }
                g.nodes[i] = Node(name: n.name, op: .activation(activation), inputs: [x], outputs: n.outputs)
                let dead = Set(removed)
                g.nodes.removeAll { $0.outputs.contains(where: dead.contains) }
                changed = true
                break
            }
        }
    }

    /// Zero Pad of H and W only → convolution with explicit padding: the pad becomes part of
    /// the convolution's window instead of a copy of the whole tensor (TF exports pad this way
    /// before strided depthwise convolutions).
    static func foldPaddingIntoConvolutions(_ g: inout Graph) {
        let consumers = g.consumerCounts()
        var consumerOf: [ValueID: Int] = [:]
        for (i, node) in g.nodes.enumerated() { for case let input? in node.inputs { consumerOf[input] = i } }
        var removed = Set<Int>()
        for (i, node) in g.nodes.enumerated() {
            guard case .pad(.constant) = node.op, node.inputs.count >= 2, let x = node.inputs[0], let padsID = node.inputs[1],
                  let pads = g.constants[padsID]?.ints, pads.count == 8, pads.allSatisfy({ $0 >= 0 }),
                  (node.inputs.count < 3 || node.inputs[2] == nil || g.constants[node.inputs[2]!]?.floats.first == 0),
                  let out = node.outputs.first, consumers[out] == 1, !g.outputs.contains(out),
                  let c = consumerOf[out], g.nodes[c].inputs.first ?? nil == out,
                  case .conv2D(var a) = g.nodes[c].op, case .explicit(let top, let left, let bottom, let right) = a.padding
            else { continue }
            let axes = a.layout.axesNHWC   // logical N, H, W, C
            let p = pads.map { Int($0) }
            guard p[axes[0]] == 0, p[axes[3]] == 0, p[4 + axes[0]] == 0, p[4 + axes[3]] == 0 else { continue }
            a.padding = .explicit(top: top + p[axes[1]], left: left + p[axes[2]], bottom: bottom + p[4 + axes[1]], right: right + p[4 + axes[2]])
            g.nodes[c].op = .conv2D(a)
            g.nodes[c].inputs[0] = x
            removed.insert(i)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Multiplications and additions by a scalar constant next to a convolution, which
    /// exporters emit for learnable affine layers (PP-OCR's LCNet: `conv → ·s → +b → hardswish
    /// → ·s' → +b' → conv`), each otherwise a pass over the whole tensor:
    /// - after a convolution with no fused activation, whose output they alone read:
    ///   `s·conv(x) + b` is a convolution with weights `s·W` and bias `s·bias + b`;
    /// - before a Conv without padding, which alone reads them: `conv(s·x + b)` is a convolution
    ///   with weights `s·W` and bias `bias + b·ΣW` over each output channel's weights. (With
    ///   padding, the padded zeros would not be shifted by b, so those are left alone.)
    static func foldScalarAffineIntoConvolutions(_ g: inout Graph) {
        var changed = true
        while changed {
            changed = false
            let consumers = g.consumerCounts()
            let producer = producers(g)
            var consumerOf: [ValueID: Int] = [:]
            for (i, node) in g.nodes.enumerated() { for case let input? in node.inputs { consumerOf[input] = i } }
            func scalar(_ id: ValueID?) -> Float? {
                guard let id, let t = g.constants[id], t.count == 1, t.rank <= 4, t.dataType == .float32, t.floats[0].isFinite else { return nil }
                return t.floats[0]
            }
            for (i, node) in g.nodes.enumerated() {
                guard case .binary(let op) = node.op, op == .mul || op == .add, node.inputs.count == 2,
                      let a = node.inputs[0], let b = node.inputs[1], node.outputs.count == 1 else { continue }
                let (x, k): (ValueID, Float)
                if let v = scalar(b), g.constants[a] == nil { (x, k) = (a, v) } else if let v = scalar(a), g.constants[b] == nil { (x, k) = (b, v) } else { continue }
                let (scale, shift): (Float, Float) = op == .mul ? (k, 0) : (1, k)
                // After a convolution.
                if consumers[x] == 1, !g.outputs.contains(x), let p = producer[x], case .conv2D(let attributes) = g.nodes[p].op,
                   attributes.activation == .identity, rewriteConvolution(&g, p, scale: scale, shift: shift, input: false) {
                    g.nodes[p].outputs = node.outputs
                    g.nodes.remove(at: i)
                    changed = true
                    break
                }
                // Before a convolution without padding.
                let y = node.outputs[0]
                if consumers[y] == 1, !g.outputs.contains(y), let c = consumerOf[y], g.nodes[c].inputs.first ?? nil == y,
                   case .conv2D(let attributes) = g.nodes[c].op, attributes.padding == .zero,
                   rewriteConvolution(&g, c, scale: scale, shift: shift, input: true) {
                    g.nodes[c].inputs[0] = x
                    g.nodes.remove(at: i)
                    changed = true
                    break
                }
            }
        }
    }

    /// Replaces conv `p`'s weights and bias so that it computes `scale·conv + shift` (`input`
    /// false) or `conv(scale·x + shift)` (`input` true). False when the weights are not a
    /// constant OIHW tensor.
    static func rewriteConvolution(_ g: inout Graph, _ p: Int, scale: Float, shift: Float, input: Bool) -> Bool {
        guard g.nodes[p].inputs.count >= 2, let wID = g.nodes[p].inputs[1], let weights = g.constants[wID],
              weights.dataType == .float32, weights.rank == 4, weights.shape[0] > 0, weights.count > 0 else { return false }
        let cout = weights.shape[0], per = weights.count / cout
        var bias = constantBias(g, p, count: cout)
        guard bias.count == cout else { return false }
        let w = weights.floats
        if input {
            for c in 0..<cout { bias[c] += shift * w[(c * per)..<((c + 1) * per)].reduce(0, +) }
        } else {
            for c in 0..<cout { bias[c] = scale * bias[c] + shift }
        }
        replaceWeights(&g, p, Tensor(shape: weights.shape, floats: w.map { $0 * scale }), bias: bias, suffix: "affine_folded")
        return true
    }

    /// Convolution `p`'s constant bias, or zeros when it has none.
    static func constantBias(_ g: Graph, _ p: Int, count: Int) -> [Float] {
        (g.nodes[p].inputs.count > 2 ? g.nodes[p].inputs[2].flatMap { g.constants[$0]?.floats } : nil)
            ?? [Float](repeating: 0, count: count)
    }

    /// Gives convolution `p` new constant weights and bias (named after the old ones + `suffix`).
    static func replaceWeights(_ g: inout Graph, _ p: Int, _ weights: Tensor, bias: [Float], suffix: String) {
        let oldWeights = g.nodes[p].inputs[1].map { g.values[$0].name } ?? g.nodes[p].name
        let newW = g.addConstant(name: oldWeights + "/" + suffix, weights)
        let newB = g.addConstant(name: g.nodes[p].name + "/" + suffix + "_bias", Tensor(shape: [bias.count], floats: bias))
        g.nodes[p].inputs = [g.nodes[p].inputs[0], newW, newB]
    }

    static func isFoldableConvolution(_ op: Operator) -> Bool {
        switch op {
        case .conv2D(let a): return a.activation == .identity
        case .convTranspose2D(let a): return a.activation == .identity
        default: return false
        }
    }

    /// Producer → activation, the producer's output used only by the activation: the
    /// producer applies it while its result is still in registers.
    static func fuseActivations(_ g: inout Graph) {
        let consumers = g.consumerCounts()
        let producer = producers(g)
        var removed = Set<Int>()
        for (i, node) in g.nodes.enumerated() {
            guard case .activation(let activation) = node.op, let x = node.inputs.first ?? nil,
                  consumers[x] == 1, !g.outputs.contains(x), let p = producer[x], !removed.contains(p) else { continue }
            switch g.nodes[p].op {
            case .conv2D(var a) where a.activation == .identity:
                a.activation = activation
                g.nodes[p].op = .conv2D(a)
            case .convTranspose2D(var a) where a.activation == .identity:
                a.activation = activation
                g.nodes[p].op = .convTranspose2D(a)
            default:
                continue
            }
            g.nodes[p].outputs = node.outputs
            removed.insert(i)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Drops nodes none of whose outputs reach a graph output.
    static func removeDeadNodes(_ g: inout Graph) {
        var live = Set(g.outputs)
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for i in stride(from: g.nodes.count - 1, through: 0, by: -1) where g.nodes[i].outputs.contains(where: live.contains) {
            keep[i] = true
            for case let input? in g.nodes[i].inputs { live.insert(input) }
        }
        g.nodes = g.nodes.enumerated().filter { keep[$0.offset] }.map(\.element)
        g.constants = g.constants.filter { live.contains($0.key) }
    }
}
