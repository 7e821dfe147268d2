import Foundation

extension Activation {
    /// The activation on 8 lanes, for kernels that apply it in registers before storing.
    @inline(__always)
    func vector(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity: return v
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .clip(let lo, let hi): return Self.clamp(v, SIMD8(repeating: lo), SIMD8(repeating: hi))
        case .leakyRelu(let alpha): return v.replacing(with: v * alpha, where: v .< 0)
        case .hardSigmoid(let alpha, let beta): return Self.clamp(v * alpha + beta, SIMD8(repeating: 0), SIMD8(repeating: 1))
        case .hardSwish: return v * Self.clamp(v + 3, SIMD8(repeating: 0), SIMD8(repeating: 6)) * (1 / 6 as Float)
        case .sigmoid: return VectorMath.sigmoid(v)
        case .tanh: return VectorMath.tanh(v)
        case .silu: return VectorMath.silu(v)
        }
    }

    /// `v` clamped to [lo, hi] by compare-and-select, which compiles to vector compares and
    /// blends. (The standard library's `pointwiseMin`/`pointwiseMax` and `clamped`, which
    /// also order NaNs, ran lane by lane: a ReLU6 epilogue made a 1×1 convolution 2.6× slower.)
    /// NaN passes through unchanged.
    @inline(__always)
    static func clamp(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) -> SIMD8<Float> {
        v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
    }

    /// Applies the activation to `count` floats in place, 8 lanes at a time (exp-based ones
    /// through `VectorMath.exp`; the scalar tail uses libm).
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .relu: applyVector(p, count: count) { $0.replacing(with: 0, where: $0 .< 0) } scalar: { max($0, 0) }
        case .clip(let lo, let hi):
            let vlo = SIMD8<Float>(repeating: lo), vhi = SIMD8<Float>(repeating: hi)
            applyVector(p, count: count) { Self.clamp($0, vlo, vhi) } scalar: { min(max($0, lo), hi) }
        case .leakyRelu(let alpha):
            applyVector(p, count: count) { $0.replacing(with: $0 * alpha, where: $0 .< 0) } scalar: { $0 >= 0 ? $0 : $0 * alpha }
        case .hardSigmoid(let alpha, let beta):
            let zero = SIMD8<Float>(repeating: 0), one = SIMD8<Float>(repeating: 1)
            applyVector(p, count: count) { Self.clamp($0 * alpha + beta, zero, one) } scalar: { max(0, min(1, alpha * $0 + beta)) }
        case .hardSwish:
            let zero = SIMD8<Float>(repeating: 0), six = SIMD8<Float>(repeating: 6)
            applyVector(p, count: count) { $0 * Self.clamp($0 + 3, zero, six) * (1 / 6 as Float) } scalar: { $0 * min(max($0 + 3, 0), 6) / 6 }
        case .sigmoid: applyVector(p, count: count) { VectorMath.sigmoid($0) } scalar: { 1 / (1 + expf(-$0)) }
        case .tanh: applyVector(p, count: count) { VectorMath.tanh($0) } scalar: { tanhf($0) }
        case .silu: applyVector(p, count: count) { VectorMath.silu($0) } scalar: { $0 / (1 + expf(-$0)) }
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

/// An activation fixed at compile time, for kernels specialised per epilogue (a generic
/// parameter), so that the common ones inline into the store instead of a call to
/// `Activation.vector` per vector. `lo`/`hi` are the clip bounds; `General` runs any activation.
protocol KernelEpilogue {
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float>
    /// As `apply`, for epilogues with a parameter per output channel: `channels` points at
    /// the 8 lanes' parameters (PReLU slopes). The others ignore it.
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation,
                      channels: UnsafePointer<Float>?) -> SIMD8<Float>
}

extension KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation,
                      channels: UnsafePointer<Float>?) -> SIMD8<Float> {
        apply(v, lo, hi, activation)
    }
}

enum IdentityEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> { v }
}

enum ReluEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> {
        v.replacing(with: 0, where: v .< 0)
    }
}

enum ClipEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> {
        Activation.clamp(v, lo, hi)
    }
}

/// SiLU (x·sigmoid x), YOLO's activation on every convolution: through `General` the
/// switch per vector and the reloaded constants made it cost more than the 1×1 convolution
/// it followed (32→32 channels at 160×160: 0.52 ms without it, 1.09 ms with it).
enum SiluEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> {
        VectorMath.silu(v)
    }
}

/// PReLU with one slope per output channel (the palm detector's activation after every
/// convolution): `v` where `v ≥ 0`, else `v · slope`. Fused, it saves a pass over the tensor
/// and a step (a parallel job) per layer.
enum PReluEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> {
        preconditionFailure("PReluEpilogue needs its channels' slopes")
    }

    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation,
                      channels: UnsafePointer<Float>?) -> SIMD8<Float> {
        let slope = UnsafeRawPointer(channels!).loadUnaligned(as: SIMD8<Float>.self)
        return v.replacing(with: v * slope, where: v .< 0)
    }
}

enum GeneralEpilogue: KernelEpilogue {
    @inline(__always)
    static func apply(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ activation: Activation) -> SIMD8<Float> {
        activation.vector(v)
    }
}

extension Activation {
    /// Clip bounds as vectors (zero for other activations), for `KernelEpilogue.apply`.
    var clipBounds: (SIMD8<Float>, SIMD8<Float>) {
        if case .clip(let lo, let hi) = self { return (SIMD8(repeating: lo), SIMD8(repeating: hi)) }
        return (SIMD8(), SIMD8())
    }
}
