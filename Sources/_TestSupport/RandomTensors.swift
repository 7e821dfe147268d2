import VigilEngine

/// Deterministic generator for tests: the engine's SplitMix64, re-exported for test targets
/// that import only _TestSupport.
public typealias SeededGenerator = VigilEngine.SeededGenerator

extension Tensor {
    /// Uniform values in `range`.
    public static func random(_ shape: [Int], in range: ClosedRange<Float> = -1...1, using g: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &g) })
    }
}
