/// Vectorised transcendental functions for activations (8 lanes, FMA friendly).
enum VectorMath {
    /// e^x with relative error under 3e-7 over the float range: x = n·ln2 + r, |r| ≤ ln2/2,
    /// e^r by a degree-5 polynomial, 2^n assembled in the exponent bits.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let clamped = Activation.clamp(x, SIMD8(repeating: -87.3), SIMD8(repeating: 88.3))  // compare-and-select: vectorised
        // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits: n without a
        // float-to-int conversion, which LLVM would otherwise scalarise.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = magic.addingProduct(clamped, SIMD8(repeating: 1.442_695_04))
        let n = shifted - magic
        // Cody-Waite split of ln2 keeps r exact enough. Every step is an explicit fused
        // multiply-add: Swift does not contract `a * b + c`, and as separate multiplies and
        // adds the polynomial's dependent chain made a SiLU epilogue cost more than the
        // 1×1 convolution it followed.
        var r = clamped.addingProduct(n, SIMD8(repeating: -0.693_145_75))
        r = r.addingProduct(n, SIMD8(repeating: -1.428_606_8e-6))
        // e^r on |r| ≤ ln2/2 by a degree-5 polynomial fitted for relative error (≤ 1.5e-7
        // before rounding; the degree-6 Taylor series it replaced did no better and cost one
        // more multiply-add, which in a SiLU epilogue competes with the GEMM for the FMA units).
        var p = SIMD8<Float>(repeating: 4.191_502_929e-2).addingProduct(r, SIMD8(repeating: 8.291_716_687e-3))
        p = SIMD8<Float>(repeating: 1.666_766_256e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 4.999_890_029e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 9.999_996_424e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1.000_000_119).addingProduct(p, r)
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }

    /// 1 / (1 + e^-x)
    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// x · sigmoid(x), as x / (1 + e^-x): one division and no multiply.
    @inline(__always)
    static func silu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x / (1 + exp(-x))
    }

    /// tanh(x) = 2·sigmoid(2x) − 1
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        2 * sigmoid(2 * x) - 1
    }
}
