import Foundation

extension Activation {
    /// Applies the activation to `count` floats in place. Vectorised for the piecewise-linear
    /// activations that dominate mobile CNNs; exp-based ones use libm per element.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .relu: applyVector(p, count: count) { $0.replacing(with: 0, where: $0 .< 0) } scalar: { max($0, 0) }
        case .clip(let lo, let hi):
            let vlo = SIMD8<Float>(repeating: lo), vhi = SIMD8<Float>(repeating: hi)
            applyVector(p, count: count) { $0.clamped(lowerBound: vlo, upperBound: vhi) } scalar: { min(max($0, lo), hi) }
        case .leakyRelu(let alpha):
            applyVector(p, count: count) { $0.replacing(with: $0 * alpha, where: $0 .< 0) } scalar: { $0 >= 0 ? $0 : $0 * alpha }
        case .hardSigmoid(let alpha, let beta):
            let zero = SIMD8<Float>(repeating: 0), one = SIMD8<Float>(repeating: 1)
            applyVector(p, count: count) { ($0 * alpha + beta).clamped(lowerBound: zero, upperBound: one) } scalar: { max(0, min(1, alpha * $0 + beta)) }
        case .hardSwish:
            let zero = SIMD8<Float>(repeating: 0), six = SIMD8<Float>(repeating: 6)
            applyVector(p, count: count) { $0 * ($0 + 3).clamped(lowerBound: zero, upperBound: six) * (1 / 6 as Float) } scalar: { $0 * min(max($0 + 3, 0), 6) / 6 }
        case .sigmoid: for i in 0..<count { p[i] = 1 / (1 + expf(-p[i])) }
        case .tanh: for i in 0..<count { p[i] = tanhf(p[i]) }
        case .silu: for i in 0..<count { p[i] = p[i] / (1 + expf(-p[i])) }
        }
    }

    @inline(__always)
    private func applyVector(_ p: UnsafeMutablePointer<Float>, count: Int,
                             _ vector: (SIMD8<Float>) -> SIMD8<Float>, scalar: (Float) -> Float) {
        var i = 0
        let raw = UnsafeMutableRawPointer(p)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: vector(v), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { p[i] = scalar(p[i]); i += 1 }
    }
}
