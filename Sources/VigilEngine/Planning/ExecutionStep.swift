/// Where a step reads a tensor: a planned arena offset, or a constant prepared at plan time.
enum Operand: @unchecked Sendable {
    case arena(offset: Int)
    case constant(UnsafeMutablePointer<Float>)

    @inline(__always)
    func pointer(_ base: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        switch self {
        case .arena(let offset): return base + offset
        case .constant(let p): return p
        }
    }
}

/// One kernel call of a plan, on preallocated memory.
protocol ExecutionStep: AnyObject {
    /// Node name (or a synthesized name for layout conversions), for profiles and errors.
    var name: String { get }
    /// Kernel family, for per-op timing tables.
    var kind: String { get }
    /// Multiply-adds counted as 2 FLOPs, for GFLOP/s figures.
    var flops: Int { get }
    /// The convolution this step computes, if it is one (for per-layer benchmarks).
    var convolution: ConvolutionShape? { get }
    func run(_ base: UnsafeMutablePointer<Float>) throws
}

extension ExecutionStep {
    var convolution: ConvolutionShape? { nil }
}

/// A kernel prepared at plan time that reads one tensor and writes another.
protocol SingleInputKernel {
    /// Kernel family, for per-op timing tables.
    var kind: String { get }
    /// Multiply-adds × 2 per run (0 where not meaningful).
    var flops: Int { get }
    /// The convolution this kernel computes, if it is one.
    var convolution: ConvolutionShape? { get }
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
}

extension SingleInputKernel {
    var convolution: ConvolutionShape? { nil }
}

/// The step of any `SingleInputKernel`: two arena offsets and the kernel.
final class SingleInputStep<Kernel: SingleInputKernel>: ExecutionStep {
    let name: String, input: Int, output: Int
    let kernel: Kernel
    var kind: String { kernel.kind }
    var flops: Int { kernel.flops }
    var convolution: ConvolutionShape? { kernel.convolution }
    init(name: String, input: Int, output: Int, kernel: Kernel) { (self.name, self.input, self.output, self.kernel) = (name, input, output, kernel) }
    func run(_ base: UnsafeMutablePointer<Float>) { kernel.run(input: base + input, output: base + output) }
}

extension DepthwiseConv2DKernel: SingleInputKernel {
    var kind: String { "DepthwiseConv2D" }
    var flops: Int { 2 * g.batch * g.outputHeight * g.outputWidth * g.outputChannels * g.kernelHeight * g.kernelWidth }
    var convolution: ConvolutionShape? { g.shape(activation: activation) }
}

extension ConvTranspose2DKernel: SingleInputKernel {
    var kind: String { "ConvTranspose2D" }
    var flops: Int { 2 * n * h * w * cin * (cout / a.groups) * a.kernel.h * a.kernel.w }
}

extension Pool2DKernel: SingleInputKernel {
    var kind: String { isMax ? "MaxPool" : "AveragePool" }
    var flops: Int { 0 }
}

extension GlobalAveragePoolKernel: SingleInputKernel {
    var kind: String { "GlobalAveragePool" }
    var flops: Int { 0 }
}

extension ResizeKernel: SingleInputKernel {
    var kind: String { "Resize" }
    var flops: Int { 0 }
}

extension PadKernel: SingleInputKernel {
    var kind: String { "Pad" }
    var flops: Int { 0 }
}

extension DepthToSpaceKernel: SingleInputKernel {
    var kind: String { "DepthToSpace" }
    var flops: Int { 0 }
}

extension SoftmaxKernel: SingleInputKernel {
    var kind: String { "Softmax" }
    var flops: Int { 0 }
}

final class Conv2DStep: ExecutionStep {
    let name: String, input: Int, output: Int
    /// Arena offset of a fused residual addend, or -1, and its channel count (at most the
    /// output's: the channels past it get nothing, as from a zero channel padding).
    var residual = -1
    var residualChannels = 0
    /// Arena offset of the Winograd form's scratch (`WinogradConv2DKernel.scratchCount`), or -1.
    var winogradScratch = -1
    let kernel: Conv2DKernel
    var kind: String { "Conv2D" }
    var convolution: ConvolutionShape? { kernel.g.shape(activation: kernel.activation) }
    var flops: Int {
        let g = kernel.g
        return 2 * g.batch * g.outputHeight * g.outputWidth * g.outputChannels * g.kernelHeight * g.kernelWidth * g.inputChannelsPerGroup
    }
    init(name: String, input: Int, output: Int, kernel: Conv2DKernel) { (self.name, self.input, self.output, self.kernel) = (name, input, output, kernel) }
    func run(_ base: UnsafeMutablePointer<Float>) {
        kernel.run(input: base + input, output: base + output,
                   residual: residual >= 0 ? Residual(pointer: base + residual, stride: residualChannels, channels: residualChannels) : nil,
                   winogradScratch: winogradScratch >= 0 ? base + winogradScratch : nil)
    }
}

final class BinaryStep: ExecutionStep {
    let name: String, a: Operand, b: Operand, output: Int
    let kernel: BinaryKernel
    let threads: Int
    var kind: String { "Binary" }
    var flops: Int { 0 }
    init(name: String, a: Operand, b: Operand, output: Int, kernel: BinaryKernel, threads: Int) {
        (self.name, self.a, self.b, self.output, self.kernel, self.threads) = (name, a, b, output, kernel, threads)
    }
    func run(_ base: UnsafeMutablePointer<Float>) { kernel.run(a: a.pointer(base), b: b.pointer(base), output: base + output, threads: threads) }
}

final class ActivationStep: ExecutionStep {
    let name: String, input: Int, output: Int, count: Int
    let activation: Activation
    let threads: Int
    var kind: String { "Activation" }
    var flops: Int { 0 }
    init(name: String, input: Int, output: Int, count: Int, activation: Activation, threads: Int) {
        (self.name, self.input, self.output, self.count, self.activation, self.threads) = (name, input, output, count, activation, threads)
    }
    func run(_ base: UnsafeMutablePointer<Float>) {
        parallelChunks(count, threads: threads, minimumChunk: 16384, work: count * 4,
                       Job(source: base + input, destination: base + output, activation: activation))
    }

    struct Job: ParallelJob {
        let source: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>
        let activation: Activation
        func run(_ range: Range<Int>) {
            if source != destination {
                (destination + range.lowerBound).update(from: source + range.lowerBound, count: range.count)
            }
            activation.apply(destination + range.lowerBound, count: range.count)
        }
    }
}

/// Copies `count` floats, split between threads when large.
final class CopyStep: ExecutionStep {
    let name: String, input: Operand, output: Int, count: Int, threads: Int
    var kind: String { "Copy" }
    var flops: Int { 0 }
    init(name: String, input: Operand, output: Int, count: Int, threads: Int) {
        (self.name, self.input, self.output, self.count, self.threads) = (name, input, output, count, threads)
    }
    func run(_ base: UnsafeMutablePointer<Float>) {
        parallelChunks(count, threads: threads, minimumChunk: 4096, work: count, Job(source: input.pointer(base), destination: base + output))
    }

    struct Job: ParallelJob {
        let source: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) { (destination + range.lowerBound).update(from: source + range.lowerBound, count: range.count) }
    }
}

/// Concat along a physical axis, split between threads by outer index (in channels-last maps,
/// by pixel, as the convolutions before it were).
final class ConcatStep: ExecutionStep {
    let name: String, inputs: [(Operand, Int)], outer: Int, inner: Int, output: Int, threads: Int
    var kind: String { "Concat" }
    var flops: Int { 0 }
    init(name: String, inputs: [(Operand, Int)], outer: Int, inner: Int, output: Int, threads: Int) {
        (self.name, self.inputs, self.outer, self.inner, self.output, self.threads) = (name, inputs, outer, inner, output, threads)
    }
    func run(_ base: UnsafeMutablePointer<Float>) {
        let total = inputs.reduce(0) { $0 + $1.1 } * inner
        withUnsafeTemporaryAllocation(of: (UnsafePointer<Float>, Int).self, capacity: inputs.count) { parts in
            for (i, (operand, axisSize)) in inputs.enumerated() { parts[i] = (UnsafePointer(operand.pointer(base)), axisSize) }
            parallelChunks(outer, threads: threads, work: outer * total, Job(parts: UnsafeBufferPointer(parts), inner: inner, output: base + output))
        }
    }

    struct Job: ParallelJob {
        let parts: UnsafeBufferPointer<(UnsafePointer<Float>, Int)>
        let inner: Int
        let output: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) { DataMovement.concat(parts, outerRange: range, inner: inner, output: output) }
    }
}


/// A strided copy: Transpose (a permutation of the input's strides) and Slice with constant
/// parameters (`input` at the first element taken; negative strides for negative steps). Per
/// output axis, `sourceStrides` floats between neighbours in the input.
final class StridedCopyStep: ExecutionStep {
    let name: String, kind: String, input: Int, output: Int
    let outShape: [Int], sourceStrides: [Int]
    let threads: Int, items: Int, count: Int
    var flops: Int { 0 }
    init(name: String, kind: String, input: Int, output: Int, outShape: [Int], sourceStrides: [Int], threads: Int) {
        (self.name, self.kind, self.input, self.output, self.threads) = (name, kind, input, output, threads)
        (self.outShape, self.sourceStrides) = DataMovement.simplified(outShape: outShape, sourceStrides: sourceStrides)
        items = DataMovement.stridedCopyItems(outShape: self.outShape, sourceStrides: self.sourceStrides)
        count = outShape.reduce(1, *)
    }

    /// Input physical `shape` permuted by `perm` (output axis i is input axis perm[i]).
    convenience init(transposing shape: [Int], perm: [Int], name: String, input: Int, output: Int, threads: Int) {
        let strides = shape.stridesRowMajor
        self.init(name: name, kind: "Transpose", input: input, output: output, outShape: perm.map { shape[$0] },
                  sourceStrides: perm.map { strides[$0] }, threads: threads)
    }

    func run(_ base: UnsafeMutablePointer<Float>) {
        parallelChunks(items, threads: threads, work: count, Job(step: self, base: base))
    }

    struct Job: ParallelJob {
        let step: StridedCopyStep
        let base: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) {
            DataMovement.stridedCopy(base + step.input, outShape: step.outShape, sourceStrides: step.sourceStrides, output: base + step.output, items: range)
        }
    }
}

/// Runs an operator without a fast kernel through the reference implementation, on
/// logical tensors copied out of and back into the arena. Allocates; the plan reports how
/// many of these it holds so they can be replaced by kernels.
final class ReferenceStep: ExecutionStep {
    let node: Node
    /// Per input: absent, a constant tensor, or an arena offset with its logical shape.
    let inputs: [ReferenceInput]
    let outputs: [(offset: Int, count: Int)]
    var name: String { node.name }
    var kind: String { "Reference." + node.op.name }
    var flops: Int { 0 }

    enum ReferenceInput {
        case absent
        case constant(Tensor)
        case arena(offset: Int, shape: [Int])
    }

    init(node: Node, inputs: [ReferenceInput], outputs: [(offset: Int, count: Int)]) {
        (self.node, self.inputs, self.outputs) = (node, inputs, outputs)
    }

    func run(_ base: UnsafeMutablePointer<Float>) throws {
        let tensors = inputs.map { input -> Tensor? in
            switch input {
            case .absent: return nil
            case .constant(let t): return t
            case .arena(let offset, let shape):
                return Tensor(shape: shape, floats: Array(UnsafeBufferPointer(start: base + offset, count: shape.reduce(1, *))))
            }
        }
        let results = try ReferenceInterpreter.evaluate(node, tensors)
        for (result, output) in zip(results, outputs) {
            let values = result.floats
            guard values.count == output.count else {
                throw EngineError.invalidNode(op: node.op.name, node: node.name, reason: "produced \(values.count) values, planned \(output.count)")
            }
            values.withUnsafeBufferPointer { (base + output.offset).update(from: $0.baseAddress!, count: values.count) }
        }
    }
}

/// Split along a physical axis, split between threads by outer index as `ConcatStep`.
final class SplitStep: ExecutionStep {
    let name: String, input: Int, outputs: [(offset: Int, axisSize: Int)], outer: Int, inner: Int, threads: Int
    var kind: String { "Split" }
    var flops: Int { 0 }
    init(name: String, input: Int, outputs: [(offset: Int, axisSize: Int)], outer: Int, inner: Int, threads: Int) {
        (self.name, self.input, self.outputs, self.outer, self.inner, self.threads) = (name, input, outputs, outer, inner, threads)
    }
    func run(_ base: UnsafeMutablePointer<Float>) {
        let total = outputs.reduce(0) { $0 + $1.axisSize } * inner
        withUnsafeTemporaryAllocation(of: (UnsafeMutablePointer<Float>, Int).self, capacity: outputs.count) { parts in
            for (i, output) in outputs.enumerated() { parts[i] = (base + output.offset, output.axisSize) }
            parallelChunks(outer, threads: threads, work: outer * total, Job(input: base + input, inner: inner, parts: UnsafeBufferPointer(parts)))
        }
    }

    struct Job: ParallelJob {
        let input: UnsafePointer<Float>
        let inner: Int
        let parts: UnsafeBufferPointer<(UnsafeMutablePointer<Float>, Int)>
        func run(_ range: Range<Int>) { DataMovement.split(input, outerRange: range, inner: inner, outputs: parts) }
    }
}

