/// Depthwise convolution (groups == Cin == Cout) over channels-last data, vectorised over
/// channels: each output pixel accumulates KH×KW channel vectors.
final class DepthwiseConv2DKernel: @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// `[KH, KW, C]`
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let threads: Int

    /// Output pixels per tile of a row (see `runRow`).
    static let tilePixels = 64

    /// Applies when every group maps one input channel to one output channel.
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.groups == g.inputChannels && g.outputChannels == g.inputChannels
    }

    /// - weights: OIHW `[C, 1, KH, KW]`; bias `[C]`.
    init(geometry: ConvolutionGeometry, weights w: Tensor, bias b: Tensor?, activation: Activation, threads: Int) {
        g = geometry
        self.activation = activation
        self.threads = max(1, threads)
        let c = g.inputChannels, taps = g.kernelHeight * g.kernelWidth
        let values = w.floats
        weights = .allocate(capacity: taps * c)
        for ch in 0..<c { for t in 0..<taps { weights[t * c + ch] = values[ch * taps + t] } }
        bias = .allocate(capacity: c)
        let biasValues = b?.floats ?? [Float](repeating: 0, count: c)
        for i in 0..<c { bias[i] = biasValues[i] }
    }

    deinit {
        weights.deallocate()
        bias.deallocate()
    }

    /// input: `[N, H, W, C]`; output: `[N, OH, OW, C]`.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let rows = g.batch * g.outputHeight
        parallelChunks(rows, threads: threads, work: rows * g.outputWidth * g.outputChannels * g.kernelHeight * g.kernelWidth) { range in
            for row in range { self.runRow(row, input: input, output: output) }
        }
    }

    /// Taps of one kernel axis that land inside the input: `lo..<hi` for window origin `origin`.
    @inline(__always)
    static func validTaps(origin: Int, kernel: Int, dilation: Int, size: Int) -> (Int, Int) {
        let lo = origin < 0 ? min(kernel, (-origin + dilation - 1) / dilation) : 0
        let hi = max(lo, min(kernel, (size - origin + dilation - 1) / dilation))
        return (lo, hi)
    }

    /// One output row, accumulated in place: for each 8-channel block and each tap, a sweep
    /// over the row's output pixels adds input × weight into the output (which stays in L1).
    /// Every FMA of a sweep is independent of the others, so the FMA units are not held up by
    /// the 4-cycle dependency of one accumulator per pixel, which bounded the per-pixel form
    /// (all taps into one register) at a quarter of the machine's rate. The valid pixel range of
    /// each tap is computed once per row, so the sweeps carry no bounds checks; the activation
    /// runs as a last sweep over the block.
    @inline(__always)
    func runRow(_ row: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.inputChannels, ow = g.outputWidth, kw = g.kernelWidth
        let sw = g.strideW, dw = g.dilationW, padLeft = g.padLeft, width = g.inputWidth
        let n = row / g.outputHeight, oy = row % g.outputHeight
        let iy0 = oy * g.strideH - g.padTop
        let (kyLo, kyHi) = Self.validTaps(origin: iy0, kernel: g.kernelHeight, dilation: g.dilationH, size: g.inputHeight)
        let inBase = input + n * g.inputHeight * width * c
        let outRow = output + (n * g.outputHeight + oy) * ow * c
        let inStep = sw * c  // input floats between neighbouring output pixels

        /// Output pixels whose tap kx lands inside the input: ox·sw − padLeft + kx·dw ∈ [0, W).
        @inline(__always) func pixels(forTap kx: Int) -> (Int, Int) {
            let offset = padLeft - kx * dw
            let lo = offset <= 0 ? 0 : (offset + sw - 1) / sw
            let limit = width - 1 + offset  // ox·sw ≤ limit
            let hi = limit < 0 ? 0 : min(ow, limit / sw + 1)
            return (min(lo, ow), max(min(lo, ow), hi))
        }

        // Tiles of output pixels keep a tile's input and output in L1/L2 across the channel
        // blocks and taps; whole rows of wide, deep maps did not fit.
        let blocked = c & ~7
        withUnsafeTemporaryAllocation(of: (Int, Int).self, capacity: kw) { tapRanges in
        for kx in 0..<kw { tapRanges[kx] = pixels(forTap: kx) }
        var tileStart = 0
        while tileStart < ow {
            let tileEnd = min(ow, tileStart + Self.tilePixels)
            var ch = 0
            while ch < blocked {
                let b = UnsafeRawPointer(bias + ch).loadUnaligned(as: SIMD8<Float>.self)
                for ox in tileStart..<tileEnd { UnsafeMutableRawPointer(outRow + ox * c + ch).storeBytes(of: b, as: SIMD8<Float>.self) }
                for ky in kyLo..<kyHi {
                    let inRow = inBase + (iy0 + ky * g.dilationH) * width * c + ch
                    for kx in 0..<kw {
                        let (tapLo, tapHi) = tapRanges[kx]
                        let lo = max(tapLo, tileStart), hi = min(tapHi, tileEnd)
                        if lo >= hi { continue }
                        let weight = UnsafeRawPointer(weights + (ky * kw + kx) * c + ch).loadUnaligned(as: SIMD8<Float>.self)
                        var src = inRow + (lo * sw - padLeft + kx * dw) * c
                        var dst = outRow + lo * c + ch
                        for _ in lo..<hi {
                            var acc = UnsafeRawPointer(dst).loadUnaligned(as: SIMD8<Float>.self)
                            acc.addProduct(UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self), weight)
                            UnsafeMutableRawPointer(dst).storeBytes(of: acc, as: SIMD8<Float>.self)
                            src += inStep
                            dst += c
                        }
                    }
                }
                if activation != .identity {
                    for ox in tileStart..<tileEnd {
                        let p = UnsafeMutableRawPointer(outRow + ox * c + ch)
                        p.storeBytes(of: activation.vector(p.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
                    }
                }
                ch += 8
            }
            tileStart = tileEnd
        }
        }
        let ch = blocked
        guard ch < c else { return }
        // Channels past the last multiple of 8, one at a time.
        let first = ch
        for ox in 0..<ow { for k in first..<c { outRow[ox * c + k] = bias[k] } }
        for ky in kyLo..<kyHi {
            let inRow = inBase + (iy0 + ky * g.dilationH) * width * c
            for kx in 0..<kw {
                let (lo, hi) = pixels(forTap: kx)
                for ox in lo..<hi {
                    let src = inRow + (ox * sw - padLeft + kx * dw) * c, dst = outRow + ox * c
                    for k in first..<c { dst[k] += src[k] * weights[(ky * kw + kx) * c + k] }
                }
            }
        }
        for ox in 0..<ow { activation.apply(outRow + ox * c + first, count: c - first) }
    }
}
