#if canImport(Glibc)
import Glibc
#endif

/// Turns a graph and concrete input shapes into a `Plan`: shapes inferred, integer plumbing
/// folded to constants, a physical layout chosen per tensor (channels-last for everything
/// spatial), every buffer placed in one arena with reuse, and a list of kernel steps.
struct Planner {
    let graph: Graph
    let threads: Int

    /// Per planned value: logical shape, physical permutation (physical axis i holds logical
    /// axis perm[i]), and arena offset once allocated.
    struct PlannedValue {
        var name: String
        var shape: [Int]
        var perm: [Int]
        var offset = -1
        var physicalShape: [Int] { perm.map { shape[$0] } }
        var count: Int { shape.reduce(1, *) }
    }

    /// A step before buffers are placed: which values it reads and writes, and how to build it.
    struct PendingStep {
        var reads: [Int]
        var writes: [Int]
        var build: (_ values: [PlannedValue]) throws -> ExecutionStep
    }

    var values: [PlannedValue] = []
    var valueIndex: [ValueID: Int] = [:]
    var constants: [ValueID: Tensor]
    var steps: [PendingStep] = []
    var conversions: [String: Int] = [:]
    /// Outputs of nodes fused into a producer (residual Add and its activation).
    var absorbed = Set<ValueID>()
    /// Consumers of each value, by node index, and graph outputs.
    lazy var consumerIndices: [ValueID: [Int]] = {
        var result: [ValueID: [Int]] = [:]
        for (i, node) in graph.nodes.enumerated() { for case let input? in node.inputs { result[input, default: []].append(i) } }
        return result
    }()
    /// The node computing each value, by node index.
    lazy var producerIndices: [ValueID: Int] = {
        var result: [ValueID: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for output in node.outputs { result[output] = i } }
        return result
    }()
    /// Nodes planned ahead of their place in the graph (a residual's producer, so that the
    /// convolution before it can fuse the Add).
    var plannedEarly = Set<Int>()
    /// Constants prepared for kernels (permuted or converted), kept alive by the plan.
    var ownedConstants: [UnsafeMutablePointer<Float>] = []

    init(graph: Graph, threads: Int) {
        self.graph = graph
        self.threads = max(1, threads)
        self.constants = graph.constants
    }

    static func identity(_ rank: Int) -> [Int] { Array(0..<rank) }

    // MARK: - Plan

    mutating func plan(inputShapes: [String: [Int]]) throws -> Plan {
        for id in graph.inputs {
            let info = graph.values[id]
            let declared = info.declaredShape ?? []
            let shape: [Int]
            if let given = inputShapes[info.name] {
                let fits = given.count == declared.count && zip(given, declared).allSatisfy { g, d in
                    if case .fixed(let n) = d { return n == g || n <= 0 }
                    return g > 0
                }
                guard fits else {
                    throw EngineError.inputShapeMismatch(name: info.name, expected: "[" + declared.map(\.description).joined(separator: ", ") + "]", got: given)
                }
                shape = given
            } else {
                shape = try declared.map { d -> Int in
                    guard case .fixed(let n) = d, n > 0 else {
                        throw EngineError.inputShapeMismatch(name: info.name, expected: "a concrete size for dynamic dimension \(d)", got: [])
                    }
                    return n
                }
            }
            // Bound caller-given shapes the way ShapeInference bounds computed ones.
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard d > 0, !overflow, product <= 1 << 32 else {
                    throw EngineError.inputShapeMismatch(name: info.name, expected: "positive dimensions with at most 2^32 elements", got: shape)
                }
                elements = product
            }
            valueIndex[id] = addValue(name: info.name, shape: shape, perm: Self.identity(shape.count))
        }
        for (i, node) in graph.nodes.enumerated() where !plannedEarly.contains(i) { try planNode(node) }

        var outputIndices: [Int] = []
        var outputNames: [String] = []
        for id in graph.outputs {
            outputNames.append(graph.values[id].name)
            if let constant = constants[id] {
                // An output that folded to a constant still gets a buffer, filled by a copy.
                let v = addValue(name: graph.values[id].name, shape: constant.shape, perm: Self.identity(constant.rank))
                let pointer = own(constant.floats)
                let threads = self.threads
                steps.append(PendingStep(reads: [], writes: [v]) { values in
                    CopyStep(name: "constant output", input: .constant(pointer), output: values[v].offset, count: values[v].count, threads: threads)
                })
                outputIndices.append(v)
            } else {
                outputIndices.append(try converted(try planned(id), to: Self.identity(values[try planned(id)].shape.count)))
            }
        }
        let inputIndices = graph.inputs.compactMap { valueIndex[$0] }
        let pinned = Set(inputIndices + outputIndices)
        // The affine layout assumes steps split in two halves; one thread, or more than two, packs.
        let arenaSize = threads == 2 && !Self.packedArena ? allocateThreadAffine(pinned: pinned) : allocate(pinned: pinned)
        let built = try steps.map { try $0.build(values) }
        return Plan(steps: built, arenaFloats: arenaSize,
                    inputs: inputIndices.map { (values[$0].name, values[$0].shape, values[$0].offset) },
                    outputs: zip(outputNames, outputIndices).map { ($0, values[$1].shape, values[$1].offset) },
                    ownedConstants: ownedConstants)
    }

    mutating func addValue(name: String, shape: [Int], perm: [Int]) -> Int {
        values.append(PlannedValue(name: name, shape: shape, perm: perm))
        return values.count - 1
    }

    mutating func own(_ floats: [Float]) -> UnsafeMutablePointer<Float> {
        let p = allocateAligned(count: floats.count)
        for i in 0..<floats.count { p[i] = floats[i] }
        ownedConstants.append(p)
        return p
    }

    func planned(_ id: ValueID) throws -> Int {
        guard let v = valueIndex[id] else {
            throw EngineError.malformedModel(format: "graph", reason: "value '\(graph.values[id].name)' is used before it is computed")
        }
        return v
    }

    /// The value `v` in physical order `perm`, inserting one transpose per (value, order).
    mutating func converted(_ v: Int, to perm: [Int]) throws -> Int {
        if values[v].perm == perm { return v }
        let key = "\(v):\(perm)"
        if let existing = conversions[key] { return existing }
        let source = values[v]
        let c = addValue(name: source.name + "/relayout", shape: source.shape, perm: perm)
        // Output physical axis i holds logical axis perm[i], found in the source at this position.
        let transposePerm = perm.map { source.perm.firstIndex(of: $0)! }
        let physical = source.physicalShape
        let threads = self.threads
        steps.append(PendingStep(reads: [v], writes: [c]) { values in
            StridedCopyStep(transposing: physical, perm: transposePerm, name: source.name + "/relayout", input: values[v].offset, output: values[c].offset, threads: threads)
        })
        conversions[key] = c
        return c
    }

    // MARK: - Nodes

    mutating func planNode(_ node: Node) throws {
        // Nodes fused into an earlier convolution's epilogue produce nothing of their own.
        if node.outputs.allSatisfy(absorbed.contains) { return }
        let inputConstants = node.inputs.map { $0.flatMap { constants[$0] } }
        let allConstant = zip(node.inputs, inputConstants).allSatisfy { $0 == nil || $1 != nil }
        if allConstant {
            let results = try ReferenceInterpreter.evaluate(node, inputConstants)
            for (id, t) in zip(node.outputs, results) { constants[id] = t }
            return
        }
        if case .shape(let start, let end) = node.op, let x = node.inputs.first ?? nil {
            // Shapes are known at plan time, so Shape is always a constant.
            let shape = values[try planned(x)].shape
            let r = shape.count
            let s = min(max(start < 0 ? start + r : start, 0), r)
            let e = min(max(end.map { $0 < 0 ? $0 + r : $0 } ?? r, 0), r)
            let dims = s < e ? shape[s..<e].map { Int64($0) } : []
            constants[node.outputs[0]] = Tensor(shape: [dims.count], ints: dims)
            return
        }
        let shapes: [[Int]?] = try node.inputs.map { id in
            guard let id else { return nil }
            if let c = constants[id] { return c.shape }
            return values[try planned(id)].shape
        }
        let outShapes = try ShapeInference.outputShapes(node, shapes: shapes, constants: inputConstants)
        if case .cast(let to) = node.op, to == .int64 { throw EngineError.dynamicIntegerComputation(node: node.name) }
        for (i, id) in node.inputs.enumerated() {
            if let id, constants[id] == nil, graph.values[id].dataType == .int64, !isDataMovement(node.op) || i > 0 {
                throw EngineError.dynamicIntegerComputation(node: node.name)
            }
        }
        try planCompute(node, outShapes: outShapes)
    }

    func isDataMovement(_ op: Operator) -> Bool {
        switch op {
        case .reshape, .flatten, .squeeze, .unsqueeze, .identity, .transpose, .concat, .slice, .gather, .expand: return true
        default: return false
        }
    }

    /// Operand for input `i` in physical order `perm` (constants are permuted at plan time).
    mutating func operand(_ node: Node, _ i: Int, perm: [Int], outputRank: Int) throws -> (Operand, [Int]) {
        guard let id = node.inputs[i] else { throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "missing input \(i)") }
        if let c = constants[id] {
            // Align right to the output rank, then lay out like the output.
            let padded = [Int](repeating: 1, count: outputRank - c.rank) + c.shape
            let t = ReferenceDataMovement.transpose(c.reshaped(padded), perm: perm)
            return (.constant(own(t.floats)), t.shape)
        }
        var v = try planned(id)
        if values[v].shape.count == outputRank {
            v = try converted(v, to: perm)
            return (.arena(offset: v), values[v].physicalShape)
        }
        // Lower rank: identity layout; usable as is when the permutation only moves size-1 axes.
        v = try converted(v, to: Self.identity(values[v].shape.count))
        let padded = [Int](repeating: 1, count: outputRank - values[v].shape.count) + values[v].shape
        let movedNonUnit = perm.filter { padded[$0] != 1 }
        guard movedNonUnit == movedNonUnit.sorted() else {
            // The layout change moves real axes: copy to the output's rank, then relayout.
            let source = v
            let full = addValue(name: values[v].name + "/rank\(outputRank)", shape: padded, perm: Self.identity(outputRank))
            let count = values[full].count
            let threads = self.threads
            steps.append(PendingStep(reads: [source], writes: [full]) { v in
                CopyStep(name: node.name + "/rank", input: .arena(offset: v[source].offset), output: v[full].offset, count: count, threads: threads)
            })
            let c = try converted(full, to: perm)
            return (.arena(offset: c), values[c].physicalShape)
        }
        return (.arena(offset: v), perm.map { padded[$0] })
    }

    mutating func planCompute(_ node: Node, outShapes: [[Int]]) throws {
        let x = node.inputs.first.flatMap { $0 }.flatMap { valueIndex[$0] }
        func output(_ perm: [Int], _ i: Int = 0) -> Int {
            let v = addValue(name: graph.values[node.outputs[i]].name, shape: outShapes[i], perm: perm)
            valueIndex[node.outputs[i]] = v
            return v
        }
        func constant(_ i: Int) -> Tensor? { i < node.inputs.count ? node.inputs[i].flatMap { constants[$0] } : nil }
        let name = node.name
        let threads = self.threads

        switch node.op {
        case .conv2D(let a):
            guard let x, let w = constant(1) else { throw EngineError.unsupportedAttribute(op: "Conv", node: name, detail: "weights computed at run time") }
            let perm = a.layout.axesNHWC
            let input = try converted(x, to: perm)
            let out = output(perm)
            let geometry = ConvolutionGeometry(inputNHWC: values[input].physicalShape, outputChannels: w.shape[0], a)
            let bias = constant(2)
            if DepthwiseConv2DKernel.applies(geometry) {
                let kernel = DepthwiseConv2DKernel(geometry: geometry, weights: w, bias: bias, activation: a.activation, threads: threads)
                steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
            } else {
                // Conv → Add(·, r) [→ activation or PReLU]: add r in the GEMM store instead of
                // another pass; Conv → PReLU: apply the slopes there.
                var activation = a.activation
                var residual: Int?
                var residualChannels = 0
                var slopes: [Float]?
                let takesSlopes = Conv2DKernel.takesSlopes(geometry, weights: w)
                if activation == .identity,
                   let fused = residualFusion(after: node, outputShape: outShapes[0], perm: perm, takesSlopes: takesSlopes) {
                    residual = fused.residual
                    residualChannels = values[fused.residual].physicalShape[3]
                    activation = fused.activation
                    slopes = fused.slopes
                    for id in fused.absorbedOutputs { valueIndex[id] = out }
                    absorbed.formUnion(fused.absorbedOutputs)
                    absorbed.formUnion(fused.skipped)
                } else if activation == .identity, takesSlopes, let y = node.outputs.first, node.outputs.count == 1,
                          let prelu = preluFusion(after: y, outputShape: outShapes[0], channelAxis: perm[3]) {
                    slopes = prelu.slopes
                    valueIndex[prelu.output] = out
                    absorbed.insert(prelu.output)
                }
                let kernel = Conv2DKernel(geometry: geometry, weights: w, bias: bias, activation: activation, preluSlopes: slopes, threads: threads)
                // The Winograd form's scratch: a value this step writes and nothing reads, so its
                // arena block is free again for the next step.
                let scratch = residual == nil ? kernel.winograd.map { addValue(name: name + "/winograd", shape: [$0.scratchCount], perm: [0]) } : nil
                steps.append(PendingStep(reads: [input] + (residual.map { [$0] } ?? []), writes: [out] + (scratch.map { [$0] } ?? [])) { v in
                    let step = Conv2DStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel)
                    if let residual {
                        step.residual = v[residual].offset
                        step.residualChannels = residualChannels
                    }
                    if let scratch { step.winogradScratch = v[scratch].offset }
                    return step
                })
            }
        case .convTranspose2D(let a):
            guard let x, let w = constant(1) else { throw EngineError.unsupportedAttribute(op: "ConvTranspose", node: name, detail: "weights computed at run time") }
            let perm = a.layout.axesNHWC
            let input = try converted(x, to: perm)
            let out = output(perm)
            let kernel = ConvTranspose2DKernel(inputNHWC: values[input].physicalShape, outputNHWC: values[out].physicalShape, weights: w, bias: constant(2), a, threads: threads)
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .maxPool2D(let a), .averagePool2D(let a):
            guard let x else { throw EngineError.invalidNode(op: node.op.name, node: name, reason: "missing input") }
            let perm = a.layout.axesNHWC
            let input = try converted(x, to: perm)
            let out = output(perm)
            var isMax = false
            if case .maxPool2D = node.op { isMax = true }
            let kernel = Pool2DKernel(inputNHWC: values[input].physicalShape, outputNHWC: values[out].physicalShape, a, isMax: isMax, threads: threads)
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .globalAveragePool(let layout):
            guard let x else { throw EngineError.invalidNode(op: node.op.name, node: name, reason: "missing input") }
            let perm = layout.axesNHWC
            let input = try converted(x, to: perm)
            let out = output(perm)
            let s = values[input].physicalShape
            let kernel = GlobalAveragePoolKernel(n: s[0], spatial: s[1] * s[2], c: s[3])
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .resize(let a) where x != nil && values[x!].shape.count == 4:
            let (_, scales) = try ReferenceInterpreter.resizeTarget(values[x!].shape, scales: constant(2), sizes: constant(3))
            let perm = a.layout.axesNHWC
            let input = try converted(x!, to: perm)
            let out = output(perm)
            let kernel = ResizeKernel(inputNHWC: values[input].physicalShape, outputNHWC: values[out].physicalShape,
                                      scaleH: scales[perm[1]], scaleW: scales[perm[2]], a, threads: threads)
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .depthToSpace(let block, let columnRowDepth, let layout) where x != nil && values[x!].shape.count == 4:
            let perm = layout.axesNHWC
            let input = try converted(x!, to: perm)
            let out = output(perm)
            let kernel = DepthToSpaceKernel(inputNHWC: values[input].physicalShape, block: block, columnRowDepth: columnRowDepth, threads: threads)
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .batchNormalization(let epsilon, let layout):
            guard let x, let scale = constant(1), let shift = constant(2), let mean = constant(3), let variance = constant(4) else {
                throw EngineError.unsupportedAttribute(op: "BatchNormalization", node: name, detail: "parameters computed at run time")
            }
            // y = x * s + t per channel, with s = scale / sqrt(var + eps), t = shift - mean * s.
            let s = zip(scale.floats, variance.floats).map { $0 / ($1 + epsilon).squareRoot() }
            let t = (0..<s.count).map { shift.floats[$0] - mean.floats[$0] * s[$0] }
            let rank = values[x].shape.count
            let channelAxis = layout == .nchw ? min(1, rank - 1) : rank - 1
            guard values[x].shape[channelAxis] == s.count, t.count == s.count else {
                throw EngineError.invalidNode(op: "BatchNormalization", node: name, reason: "parameters do not have \(values[x].shape[channelAxis]) channels")
            }
            let perm = rank == 4 ? layout.axesNHWC : Self.identity(rank)
            let input = try converted(x, to: perm)
            let out = output(perm)
            let physical = values[out].physicalShape
            var paramShape = [Int](repeating: 1, count: rank)
            paramShape[perm.firstIndex(of: channelAxis)!] = s.count
            let sp = own(s), tp = own(t)
            let mul = BinaryKernel(op: .mul, activation: .identity, shape: physical, shapeA: physical, shapeB: paramShape)
            let add = BinaryKernel(op: .add, activation: .identity, shape: physical, shapeA: physical, shapeB: paramShape)
            steps.append(PendingStep(reads: [input], writes: [out]) { v in
                BinaryStep(name: name + "/scale", a: .arena(offset: v[input].offset), b: .constant(sp), output: v[out].offset, kernel: mul, threads: threads)
            })
            steps.append(PendingStep(reads: [out], writes: [out]) { v in
                BinaryStep(name: name + "/shift", a: .arena(offset: v[out].offset), b: .constant(tp), output: v[out].offset, kernel: add, threads: threads)
            })
        case .activation(let activation):
            guard let x else { throw EngineError.invalidNode(op: node.op.name, node: name, reason: "missing input") }
            let out = output(values[x].perm)
            let count = values[x].count
            steps.append(PendingStep(reads: [x], writes: [out]) { v in ActivationStep(name: name, input: v[x].offset, output: v[out].offset, count: count, activation: activation, threads: threads) })
        case .binary, .prelu:
            var op = BinaryOperator.prelu
            if case .binary(let b) = node.op { op = b }
            let rank = outShapes[0].count
            // Follow the layout of a computed input of full rank, so NHWC chains stay NHWC.
            let perm = node.inputs.compactMap { $0 }.compactMap { valueIndex[$0] }
                .first { values[$0].shape == outShapes[0] }.map { values[$0].perm } ?? Self.identity(rank)
            let (a, shapeA) = try operand(node, 0, perm: perm, outputRank: rank)
            let (b, shapeB) = try operand(node, 1, perm: perm, outputRank: rank)
            let out = output(perm)
            let kernel = BinaryKernel(op: op, activation: .identity, shape: perm.map { outShapes[0][$0] }, shapeA: shapeA, shapeB: shapeB)
            let reads = [a, b].compactMap { operand -> Int? in if case .arena(let o) = operand { return o }; return nil }
            steps.append(PendingStep(reads: reads, writes: [out]) { v in
                func resolve(_ o: Operand) -> Operand { if case .arena(let i) = o { return .arena(offset: v[i].offset) }; return o }
                return BinaryStep(name: name, a: resolve(a), b: resolve(b), output: v[out].offset, kernel: kernel, threads: threads)
            })
        case .concat(let axis) where node.inputs.contains(where: { $0.flatMap { valueIndex[$0] } != nil }):
            let rank = outShapes[0].count
            let logicalAxis = ReferenceDataMovement.normalizedAxis(axis, rank: rank)
            // Follow the layout of the first computed input (constants are permuted to match).
            let firstComputed = node.inputs.compactMap { $0 }.compactMap { valueIndex[$0] }.first!
            let perm = values[firstComputed].perm
            var parts: [(Operand, Int)] = []
            for i in 0..<node.inputs.count {
                let (operand, shape) = try self.operand(node, i, perm: perm, outputRank: rank)
                parts.append((operand, shape[perm.firstIndex(of: logicalAxis)!]))
            }
            let out = output(perm)
            let physicalAxis = perm.firstIndex(of: logicalAxis)!
            let physical = values[out].physicalShape
            let outer = physical[..<physicalAxis].reduce(1, *), inner = physical[(physicalAxis + 1)...].reduce(1, *)
            let reads = parts.compactMap { p -> Int? in if case .arena(let o) = p.0 { return o }; return nil }
            steps.append(PendingStep(reads: reads, writes: [out]) { v in
                ConcatStep(name: name, inputs: parts.map { p in
                    if case .arena(let i) = p.0 { return (.arena(offset: v[i].offset), p.1) }
                    return p
                }, outer: outer, inner: inner, output: v[out].offset, threads: threads)
            })
        case .pad(.constant) where x != nil && constant(1)?.ints.allSatisfy({ $0 >= 0 }) == true:
            // Constant padding runs in the input's own layout: pads are permuted, not the data.
            let perm = values[x!].perm
            let rank = perm.count
            let pads = constant(1)!.ints.map { Int($0) }
            guard pads.count == 2 * rank else { throw EngineError.invalidNode(op: "Pad", node: name, reason: "\(pads.count) pads for rank \(rank)") }
            let value = constant(2)?.floats.first ?? 0
            let out = output(perm)
            let kernel = PadKernel(inputShape: values[x!].physicalShape, before: perm.map { pads[$0] }, after: perm.map { pads[rank + $0] }, value: value)
            steps.append(PendingStep(reads: [x!], writes: [out]) { v in SingleInputStep(name: name, input: v[x!].offset, output: v[out].offset, kernel: kernel) })
        case .split(let axis) where x != nil:
            // Split runs in the input's layout: each output is a block copy along the axis.
            let perm = values[x!].perm
            let logicalAxis = ReferenceDataMovement.normalizedAxis(axis, rank: perm.count)
            let physicalAxis = perm.firstIndex(of: logicalAxis)!
            let physical = values[x!].physicalShape
            let outer = physical[..<physicalAxis].reduce(1, *), inner = physical[(physicalAxis + 1)...].reduce(1, *)
            var outs: [(Int, Int)] = []
            for i in 0..<outShapes.count { outs.append((output(perm, i), outShapes[i][logicalAxis])) }
            let input = x!
            steps.append(PendingStep(reads: [input], writes: outs.map(\.0)) { v in
                SplitStep(name: name, input: v[input].offset, outputs: outs.map { (v[$0.0].offset, $0.1) }, outer: outer, inner: inner, threads: threads)
            })
        case .slice where x != nil && node.inputs.count >= 3 && values[x!].shape.count > 0
            && (1..<node.inputs.count).allSatisfy({ node.inputs[$0] == nil || constant($0) != nil }):
            // Constant starts/ends/axes/steps: a strided copy in the input's row-major layout.
            let input = try converted(x!, to: Self.identity(values[x!].shape.count))
            let out = output(Self.identity(outShapes[0].count))
            let shape = values[input].shape
            let starts = constant(1)!.ints.map { ReferenceInterpreter.clampToInt($0) }
            let ends = constant(2)!.ints.map { ReferenceInterpreter.clampToInt($0) }
            let axes = constant(3)?.ints.map { Int($0) } ?? Array(0..<starts.count)
            let stepsPerAxis = constant(4)?.ints.map { Int($0) } ?? [Int](repeating: 1, count: starts.count)
            let (begin, step, sliced) = ReferenceDataMovement.sliceGeometry(shape, starts: starts, ends: ends, axes: axes, steps: stepsPerAxis)
            guard sliced == outShapes[0] else { throw EngineError.invalidNode(op: "Slice", node: name, reason: "planned \(sliced), inferred \(outShapes[0])") }
            let strides = shape.stridesRowMajor
            let first = zip(begin, strides).reduce(0) { $0 + $1.0 * $1.1 }
            let sourceStrides = zip(step, strides).map { $0 * $1 }
            if !sliced.contains(0) {
                steps.append(PendingStep(reads: [input], writes: [out]) { v in
                    StridedCopyStep(name: name, kind: "Slice", input: v[input].offset + first, output: v[out].offset, outShape: sliced,
                                    sourceStrides: sourceStrides, threads: threads)
                })
            }
        case .transpose(let perm) where x != nil && !perm.isEmpty:
            let input = try converted(x!, to: Self.identity(perm.count))
            let out = output(Self.identity(perm.count))
            let shape = values[input].shape
            steps.append(PendingStep(reads: [input], writes: [out]) { v in
                StridedCopyStep(transposing: shape, perm: perm, name: name, input: v[input].offset, output: v[out].offset, threads: threads)
            })
        case .softmax(let axis) where x != nil:
            let input = try converted(x!, to: Self.identity(values[x!].shape.count))
            let out = output(Self.identity(outShapes[0].count))
            let shape = values[input].shape
            let a = ReferenceDataMovement.normalizedAxis(axis, rank: shape.count)
            let kernel = SoftmaxKernel(outer: shape[..<a].reduce(1, *), axis: shape[a], inner: shape[(a + 1)...].reduce(1, *))
            steps.append(PendingStep(reads: [input], writes: [out]) { v in SingleInputStep(name: name, input: v[input].offset, output: v[out].offset, kernel: kernel) })
        case .reshape, .flatten, .squeeze, .unsqueeze, .identity:
            guard let x else { throw EngineError.invalidNode(op: node.op.name, node: name, reason: "missing input") }
            let input = try converted(x, to: Self.identity(values[x].shape.count))
            let out = output(Self.identity(outShapes[0].count))
            let count = values[out].count
            steps.append(PendingStep(reads: [input], writes: [out]) { v in CopyStep(name: name, input: .arena(offset: v[input].offset), output: v[out].offset, count: count, threads: threads) })
        default:
            try planReference(node, outShapes: outShapes)
        }
    }

    /// When the conv's only consumer is an Add whose other operand has the conv output's shape
    /// (or is a zero channel padding, at the end, of a tensor that has it otherwise), returns
    /// that operand, unpadded, in the conv's layout; the activation that follows the Add (when it
    /// is the Add's only consumer); the outputs now computed by the conv; and a Pad's output
    /// that no step needs to compute any more (`skipped`).
    mutating func residualFusion(after conv: Node, outputShape: [Int], perm: [Int], takesSlopes: Bool)
        -> (residual: Int, activation: Activation, slopes: [Float]?, absorbedOutputs: [ValueID], skipped: [ValueID])? {
        guard conv.outputs.count == 1, let y = conv.outputs.first, !graph.outputs.contains(y),
              let users = consumerIndices[y], users.count == 1 else { return nil }
        let add = graph.nodes[users[0]]
        guard case .binary(.add) = add.op, add.inputs.count == 2, add.outputs.count == 1,
              let other = (add.inputs[0] == y ? add.inputs[1] : add.inputs[0]), other != y, constants[other] == nil else { return nil }
        // BlazeFace's skip branch pads channels with zeros to the block's width: the GEMM adds the
        // unpadded tensor to the first channels instead, and the Pad is not computed.
        let channelAxis = perm[3]
        var source = other
        var skipped: [ValueID] = []
        if valueIndex[other] == nil, let p = producerIndices[other], let x = channelPaddingSource(graph.nodes[p], channelAxis: channelAxis),
           !graph.outputs.contains(other), consumerIndices[other]?.count == 1 {
            source = x
            skipped = [other]
        }
        // The operand may come later in the graph's order (TFLite puts a skip branch's max-pool
        // and channel Pad after the convolution): plan it ahead if it can be.
        guard planAhead(source, before: y, depth: 3), let sourceValue = valueIndex[source] else { return nil }
        let shape = values[sourceValue].shape
        guard shape.count == outputShape.count,
              // Same shape, except fewer channels when the skip branch was channel-padded.
              shape.indices.allSatisfy({ $0 == channelAxis && !skipped.isEmpty ? shape[$0] <= outputShape[$0] : shape[$0] == outputShape[$0] }),
              let residual = try? converted(sourceValue, to: perm) else { return nil }
        var absorbedOutputs = [add.outputs[0]]
        var activation = Activation.identity
        var slopes: [Float]?
        let sum = add.outputs[0]
        if !graph.outputs.contains(sum), let next = consumerIndices[sum], next.count == 1,
           case .activation(let a) = graph.nodes[next[0]].op, graph.nodes[next[0]].outputs.count == 1 {
            activation = a
            absorbedOutputs.append(graph.nodes[next[0]].outputs[0])
        } else if takesSlopes, let prelu = preluFusion(after: sum, outputShape: outputShape, channelAxis: channelAxis) {
            slopes = prelu.slopes
            absorbedOutputs.append(prelu.output)
        }
        return (residual, activation, slopes, absorbedOutputs, skipped)
    }

    /// When `value` (of `outputShape`, not a graph output) is read only by a PReLU whose slope
    /// is a constant that varies at most along `channelAxis`, returns one slope per channel
    /// and the PReLU's output, so that the producing convolution can apply it in its store.
    mutating func preluFusion(after value: ValueID, outputShape: [Int], channelAxis: Int) -> (slopes: [Float], output: ValueID)? {
        guard !graph.outputs.contains(value), let users = consumerIndices[value], users.count == 1 else { return nil }
        let prelu = graph.nodes[users[0]]
        let isPRelu: Bool
        switch prelu.op {
        case .prelu, .binary(.prelu): isPRelu = true
        default: isPRelu = false
        }
        guard isPRelu, prelu.inputs.count == 2, prelu.inputs[0] == value, prelu.outputs.count == 1,
              let slopeID = prelu.inputs[1], let slope = constants[slopeID], slope.dataType == .float32,
              slope.rank <= outputShape.count else { return nil }
        let channels = outputShape[channelAxis]
        // Right-aligned broadcasting: every axis but the channel axis must be 1.
        let offset = outputShape.count - slope.rank
        for (i, d) in slope.shape.enumerated() where d != 1 {
            guard i + offset == channelAxis, d == channels else { return nil }
        }
        let floats = slope.floats
        return (floats.count == channels ? floats : [Float](repeating: floats.first ?? 0, count: channels), prelu.outputs[0])
    }

    /// The input of a constant Pad that only appends zero channels (`channelAxis` after, nothing
    /// else), or nil.
    func channelPaddingSource(_ pad: Node, channelAxis: Int) -> ValueID? {
        guard case .pad(.constant) = pad.op, pad.inputs.count >= 2, let x = pad.inputs[0], let padsID = pad.inputs[1],
              let pads = constants[padsID]?.ints, pads.count == 8,
              pad.inputs.count < 3 || pad.inputs[2] == nil || constants[pad.inputs[2]!]?.floats.first == 0 else { return nil }
        for (i, p) in pads.enumerated() where p != 0 && i != 4 + channelAxis { return nil }
        return pads[4 + channelAxis] > 0 ? x : nil
    }

    /// Makes `value` computed before the node producing `later`, planning its producers ahead
    /// of their place in the graph when needed: at most `depth` of them, none a convolution
    /// (whose own residual fusion could look back here) and none reading `later`.
    mutating func planAhead(_ value: ValueID, before later: ValueID, depth: Int) -> Bool {
        if constants[value] != nil || valueIndex[value] != nil { return value != later }
        guard depth > 0, let p = producerIndices[value], !plannedEarly.contains(p) else { return false }
        let producer = graph.nodes[p]
        if case .conv2D = producer.op { return false }
        for case let input? in producer.inputs where !planAhead(input, before: later, depth: depth - 1) { return false }
        guard (try? planNode(producer)) != nil else { return false }
        plannedEarly.insert(p)
        return valueIndex[value] != nil || constants[value] != nil
    }

    /// Plans a node through the reference operator on identity-layout buffers.
    mutating func planReference(_ node: Node, outShapes: [[Int]]) throws {
        var reads: [Int] = []
        var inputs: [(Int?, Tensor?)] = []
        for id in node.inputs {
            guard let id else { inputs.append((nil, nil)); continue }
            if let c = constants[id] { inputs.append((nil, c)); continue }
            let v = try converted(try planned(id), to: Self.identity(values[try planned(id)].shape.count))
            reads.append(v)
            inputs.append((v, nil))
        }
        var outs: [Int] = []
        for (i, shape) in outShapes.enumerated() {
            let v = addValue(name: graph.values[node.outputs[i]].name, shape: shape, perm: Self.identity(shape.count))
            valueIndex[node.outputs[i]] = v
            outs.append(v)
        }
        steps.append(PendingStep(reads: reads, writes: outs) { v in
            ReferenceStep(node: node, inputs: inputs.map { input in
                if let c = input.1 { return .constant(c) }
                if let i = input.0 { return .arena(offset: v[i].offset, shape: v[i].shape) }
                return .absent
            }, outputs: outs.map { (v[$0].offset, v[$0].count) })
        })
    }

    // MARK: - Memory

    /// Places every value in one arena: a value's block is free again after its last reader,
    /// graph inputs and outputs are never reused. Returns the arena size in floats.
    /// `VIGIL_ARENA=packed` packs the arena by best fit at two threads too, for comparing in one build.
    static let packedArena = getenv("VIGIL_ARENA").map { String(cString: $0) == "packed" } ?? false

    /// Floats a value takes in the arena: its count rounded up to a 64-byte line.
    func arenaFloats(_ v: Int) -> Int { (max(values[v].count, 1) + 15) / 16 * 16 }

    /// Walks the values' lifetimes in step order, for the arena layouts: `take` for each pinned
    /// value, then for each value a step writes before it runs, and `release` after the step
    /// that last reads a value (or at once for one nothing reads), pinned values never.
    func walkLifetimes(pinned: Set<Int>, take: (Int) -> Void, release: (Int) -> Void) {
        var lastUse = [Int](repeating: -1, count: values.count)
        for (i, step) in steps.enumerated() { for r in step.reads { lastUse[r] = max(lastUse[r], i) } }
        var taken = [Bool](repeating: false, count: values.count)
        for v in pinned.sorted() where !taken[v] { taken[v] = true; take(v) }
        for (i, step) in steps.enumerated() {
            for w in step.writes where !taken[w] { taken[w] = true; take(w) }
            for r in Set(step.reads) where lastUse[r] == i && !pinned.contains(r) && taken[r] { release(r) }
            for w in step.writes where lastUse[w] < 0 && !pinned.contains(w) { release(w) }
        }
    }

    /// Places every value around a center of its own "slot", its first half below the center
    /// and its second half above, one value per slot at a time: at two threads steps split
    /// their rows in two halves, so memory below a slot's center is only ever written by the
    /// first thread and memory above it by the second, whichever value holds the slot.
    /// With best-fit packing a buffer's bytes went from one thread to the other as values
    /// reused it, and each such line moved between the cores' caches; in the host's slow
    /// spells that movement doubled two-thread times (BENCHMARKS.md, session 10).
    /// Returns the arena size in floats.
    mutating func allocateThreadAffine(pinned: Set<Int>) -> Int {
        // Per slot: floats needed below and above its center; which value holds it now.
        var below: [Int] = [], above: [Int] = []
        var holder: [Int?] = []
        var slotOf = [Int](repeating: -1, count: values.count)
        func halves(_ v: Int) -> (Int, Int) {
            let size = arenaFloats(v)
            let low = size / 2 / 16 * 16
            return (low, size - low)
        }
        walkLifetimes(pinned: pinned, take: { v in
            let (low, high) = halves(v)
            // A free slot that grows least, else a new one.
            let free = holder.indices.filter { holder[$0] == nil }
            let best = free.min { a, b in
                max(0, low - below[a]) + max(0, high - above[a]) < max(0, low - below[b]) + max(0, high - above[b])
            }
            let slot: Int
            if let best { slot = best } else {
                below.append(0); above.append(0); holder.append(nil)
                slot = holder.count - 1
            }
            below[slot] = max(below[slot], low)
            above[slot] = max(above[slot], high)
            holder[slot] = v
            slotOf[v] = slot
        }, release: { v in
            if holder[slotOf[v]] == v { holder[slotOf[v]] = nil }
        })
        var centers: [Int] = []
        var end = 0
        for slot in holder.indices {
            centers.append(end + below[slot])
            end += below[slot] + above[slot]
        }
        for v in values.indices where slotOf[v] >= 0 { values[v].offset = centers[slotOf[v]] - halves(v).0 }
        return max(end, 16)
    }

    /// Packs the values by best fit, a freed block going to the next value that fits it.
    /// Returns the arena size in floats.
    mutating func allocate(pinned: Set<Int>) -> Int {
        var free: [(offset: Int, size: Int)] = []
        var end = 0
        var offsets = [Int](repeating: -1, count: values.count)
        walkLifetimes(pinned: pinned, take: { v in
            let size = arenaFloats(v)
            if let best = free.indices.filter({ free[$0].size >= size }).min(by: { free[$0].size < free[$1].size }) {
                let block = free.remove(at: best)
                if block.size > size { free.append((block.offset + size, block.size - size)) }
                offsets[v] = block.offset
            } else {
                offsets[v] = end
                end += size
            }
        }, release: { v in
            free.append((offsets[v], arenaFloats(v)))
            free.sort { $0.offset < $1.offset }
            var merged: [(offset: Int, size: Int)] = []
            for block in free {
                if let last = merged.last, last.offset + last.size == block.offset { merged[merged.count - 1].size += block.size }
                else { merged.append(block) }
            }
            free = merged
        })
        for v in values.indices where offsets[v] >= 0 { values[v].offset = offsets[v] }
        return max(end, 16)
    }
}
