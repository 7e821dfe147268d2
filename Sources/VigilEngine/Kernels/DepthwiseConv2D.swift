/// Depthwise convolution (groups == Cin == Cout) over channels-last data, vectorised over
/// channels: each output pixel accumulates KH×KW channel vectors.
final class DepthwiseConv2DKernel: @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// `[KH, KW, C]`
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let threads: Int

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

    /// One output row. The valid tap ranges are computed per row and column, so the inner
    /// loops carry no bounds checks; channels go 16, then 8 at a time in registers.
    @inline(__always)
    func runRow(_ row: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.inputChannels
        let n = row / g.outputHeight, oy = row % g.outputHeight
        let iy0 = oy * g.strideH - g.padTop
        let (kyLo, kyHi) = Self.validTaps(origin: iy0, kernel: g.kernelHeight, dilation: g.dilationH, size: g.inputHeight)
        let inRaw = UnsafeRawPointer(input + n * g.inputHeight * g.inputWidth * c)
        let wRaw = UnsafeRawPointer(weights), bRaw = UnsafeRawPointer(bias)
        let rowStride = g.inputWidth * c * 4, kw = g.kernelWidth
        for ox in 0..<g.outputWidth {
            let ix0 = ox * g.strideW - g.padLeft
            let (kxLo, kxHi) = Self.validTaps(origin: ix0, kernel: kw, dilation: g.dilationW, size: g.inputWidth)
            let out = output + ((n * g.outputHeight + oy) * g.outputWidth + ox) * c
            let outRaw = UnsafeMutableRawPointer(out)
            var ch = 0
            while ch + 16 <= c {
                var acc0 = bRaw.loadUnaligned(fromByteOffset: ch * 4, as: SIMD8<Float>.self)
                var acc1 = bRaw.loadUnaligned(fromByteOffset: ch * 4 + 32, as: SIMD8<Float>.self)
                for ky in kyLo..<kyHi {
                    let inRow = (iy0 + ky * g.dilationH) * rowStride + ch * 4
                    let wRow = (ky * kw) * c * 4 + ch * 4
                    for kx in kxLo..<kxHi {
                        let xOffset = inRow + (ix0 + kx * g.dilationW) * c * 4
                        let wOffset = wRow + kx * c * 4
                        acc0.addProduct(inRaw.loadUnaligned(fromByteOffset: xOffset, as: SIMD8<Float>.self),
                                        wRaw.loadUnaligned(fromByteOffset: wOffset, as: SIMD8<Float>.self))
                        acc1.addProduct(inRaw.loadUnaligned(fromByteOffset: xOffset + 32, as: SIMD8<Float>.self),
                                        wRaw.loadUnaligned(fromByteOffset: wOffset + 32, as: SIMD8<Float>.self))
                    }
                }
                outRaw.storeBytes(of: acc0, toByteOffset: ch * 4, as: SIMD8<Float>.self)
                outRaw.storeBytes(of: acc1, toByteOffset: ch * 4 + 32, as: SIMD8<Float>.self)
                ch += 16
            }
            while ch + 8 <= c {
                var acc = bRaw.loadUnaligned(fromByteOffset: ch * 4, as: SIMD8<Float>.self)
                for ky in kyLo..<kyHi {
                    let inRow = (iy0 + ky * g.dilationH) * rowStride + ch * 4
                    let wRow = (ky * kw) * c * 4 + ch * 4
                    for kx in kxLo..<kxHi {
                        acc.addProduct(inRaw.loadUnaligned(fromByteOffset: inRow + (ix0 + kx * g.dilationW) * c * 4, as: SIMD8<Float>.self),
                                       wRaw.loadUnaligned(fromByteOffset: wRow + kx * c * 4, as: SIMD8<Float>.self))
                    }
                }
                outRaw.storeBytes(of: acc, toByteOffset: ch * 4, as: SIMD8<Float>.self)
                ch += 8
            }
            while ch < c {
                var acc = bias[ch]
                for ky in kyLo..<kyHi {
                    let iy = iy0 + ky * g.dilationH
                    for kx in kxLo..<kxHi {
                        let ix = ix0 + kx * g.dilationW
                        acc += input[((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch] * weights[(ky * kw + kx) * c + ch]
                    }
                }
                out[ch] = acc
                ch += 1
            }
            activation.apply(out, count: c)
        }
    }
}
