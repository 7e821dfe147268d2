/// Transposed convolution over channels-last data in gather form: each output pixel sums the
/// input pixels whose scattered window covers it, so threads own disjoint output rows.
final class ConvTranspose2DKernel: @unchecked Sendable {
    let n: Int, h: Int, w: Int, cin: Int
    let oh: Int, ow: Int, cout: Int
    let a: ConvTranspose2DAttributes
    /// `[KH, KW, Cin, Cout/g]`
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let threads: Int

    /// - inputNHWC: `[N, H, W, Cin]`; weights `[Cin, Cout/g, KH, KW]`; bias `[Cout]`.
    init(inputNHWC s: [Int], outputNHWC o: [Int], weights wt: Tensor, bias b: Tensor?, _ a: ConvTranspose2DAttributes, threads: Int) {
        (n, h, w, cin) = (s[0], s[1], s[2], s[3])
        (oh, ow, cout) = (o[1], o[2], o[3])
        self.a = a
        self.threads = max(1, threads)
        let cog = cout / a.groups
        let (kh, kw) = (a.kernel.h, a.kernel.w)
        let values = wt.floats
        weights = .allocate(capacity: kh * kw * cin * cog)
        for ci in 0..<cin { for co in 0..<cog { for ky in 0..<kh { for kx in 0..<kw {
            weights[((ky * kw + kx) * cin + ci) * cog + co] = values[((ci * cog + co) * kh + ky) * kw + kx]
        } } } }
        bias = .allocate(capacity: cout)
        let biasValues = b?.floats ?? [Float](repeating: 0, count: cout)
        for i in 0..<cout { bias[i] = biasValues[i] }
    }

    deinit {
        weights.deallocate()
        bias.deallocate()
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let cog = cout / a.groups, cig = cin / a.groups
        parallelChunks(n * oh, threads: threads) { range in
            for row in range {
                let b = row / self.oh, oy = row % self.oh
                for ox in 0..<self.ow {
                    let out = output + ((b * self.oh + oy) * self.ow + ox) * self.cout
                    out.update(from: self.bias, count: self.cout)
                    for ky in 0..<self.a.kernel.h {
                        let ty = oy + self.a.pads.top - ky * self.a.dilations.h
                        if ty < 0 || ty % self.a.strides.h != 0 { continue }
                        let iy = ty / self.a.strides.h
                        if iy >= self.h { continue }
                        for kx in 0..<self.a.kernel.w {
                            let tx = ox + self.a.pads.left - kx * self.a.dilations.w
                            if tx < 0 || tx % self.a.strides.w != 0 { continue }
                            let ix = tx / self.a.strides.w
                            if ix >= self.w { continue }
                            let x = input + ((b * self.h + iy) * self.w + ix) * self.cin
                            let tap = self.weights + (ky * self.a.kernel.w + kx) * self.cin * cog
                            for group in 0..<self.a.groups {
                                let o = out + group * cog
                                for ci in (group * cig)..<((group + 1) * cig) {
                                    Vector.addScaled(o, tap + ci * cog, x[ci], count: cog)
                                }
                            }
                        }
                    }
                    self.a.activation.apply(out, count: self.cout)
                }
            }
        }
    }
}

/// Small vector helpers shared by kernels.
enum Vector {
    /// `y[i] += alpha * x[i]`
    @inline(__always)
    static func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ alpha: Float, count: Int) {
        var i = 0
        let yr = UnsafeMutableRawPointer(y), xr = UnsafeRawPointer(x)
        let va = SIMD8<Float>(repeating: alpha)
        while i + 8 <= count {
            var v = yr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            v.addProduct(va, xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            yr.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }
}
