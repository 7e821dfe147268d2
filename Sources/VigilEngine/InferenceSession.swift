import Foundation

/// A model planned for fixed input shapes, ready to run frame after frame.
///
/// Planning happens once in `init`: shapes, layouts, buffers and packed weights. `run()` then
/// only calls kernels on preallocated memory. Inputs and outputs are in the model's own
/// layout (NCHW for ONNX, NHWC for TFLite); layout changes happen inside the plan.
public final class InferenceSession: @unchecked Sendable {
    /// The graph after load-time optimisation.
    public let graph: Graph
    let plan: Plan
    let arena: UnsafeMutablePointer<Float>
    /// Threads each kernel may use.
    public let threads: Int

    /// Plans `graph`. `inputShapes` resolves dynamic dimensions (by input name); inputs with
    /// fully fixed declared shapes may be omitted.
    public init(graph: Graph, inputShapes: [String: [Int]] = [:], threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.graph = GraphOptimizer.optimize(graph)
        self.threads = max(1, threads)
        var planner = Planner(graph: self.graph, threads: self.threads)
        plan = try planner.plan(inputShapes: inputShapes)
        // Cache-line aligned (the planner keeps every offset a multiple of 64 bytes), so no
        // 32-byte vector load or store of a kernel straddles two lines.
        arena = UnsafeMutableRawPointer.allocate(byteCount: plan.arenaFloats * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: plan.arenaFloats)
        arena.initialize(repeating: 0, count: plan.arenaFloats)
    }

    deinit { arena.deallocate() }

    /// Input names and planned shapes, in graph order.
    public var inputs: [(name: String, shape: [Int])] { plan.inputs.map { ($0.name, $0.shape) } }
    /// Output names and planned shapes, in graph order.
    public var outputs: [(name: String, shape: [Int])] { plan.outputs.map { ($0.name, $0.shape) } }
    /// Bytes of activation memory the plan uses.
    public var arenaBytes: Int { plan.arenaFloats * MemoryLayout<Float>.size }
    /// Multiply-adds × 2 of one run, counted over kernels that report them.
    public var flopsPerRun: Int { plan.steps.reduce(0) { $0 + $1.flops } }
    /// Steps that run through reference operators (allocate per run; candidates for kernels).
    public var referenceStepNames: [String] { plan.steps.filter { $0 is ReferenceStep }.map { "\($0.kind) \($0.name)" } }
    /// Number of kernel steps.
    public var stepCount: Int { plan.steps.count }

    /// The planned buffer of input `index`, to fill in place before `run()`.
    public func inputBuffer(_ index: Int = 0) -> UnsafeMutableBufferPointer<Float> {
        let i = plan.inputs[index]
        return UnsafeMutableBufferPointer(start: arena + i.offset, count: i.shape.reduce(1, *))
    }

    /// The planned buffer of output `index`, valid until the next `run()`.
    public func outputBuffer(_ index: Int = 0) -> UnsafeBufferPointer<Float> {
        let o = plan.outputs[index]
        return UnsafeBufferPointer(start: arena + o.offset, count: o.shape.reduce(1, *))
    }

    /// Runs the plan on the inputs already in `inputBuffer`s. Allocates nothing when the plan
    /// has no reference steps.
    public func run() throws {
        for step in plan.steps { try step.run(arena) }
    }

    /// Runs with per-step wall-clock timing (seconds) and floating-point operations, in plan order.
    public func runProfiled() throws -> [(name: String, kind: String, seconds: Double, flops: Int)] {
        var result: [(String, String, Double, Int)] = []
        result.reserveCapacity(plan.steps.count)
        for step in plan.steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step.run(arena)
            result.append((step.name, step.kind, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, step.flops))
        }
        return result
    }

    /// The convolution each planned step computes (nil for other steps), in plan order.
    public var stepConvolutions: [ConvolutionShape?] { plan.steps.map(\.convolution) }

    /// Convenience: copies named inputs in, runs, and copies every output out.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        for (index, input) in plan.inputs.enumerated() {
            guard let tensor = inputs[input.name] else { throw EngineError.missingInput(name: input.name) }
            guard tensor.shape == input.shape else {
                throw EngineError.inputShapeMismatch(name: input.name, expected: "\(input.shape)", got: tensor.shape)
            }
            let buffer = inputBuffer(index)
            tensor.floats.withUnsafeBufferPointer { buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        try run()
        var result: [String: Tensor] = [:]
        for (index, output) in plan.outputs.enumerated() {
            result[output.name] = Tensor(shape: output.shape, floats: Array(outputBuffer(index)))
        }
        return result
    }
}
