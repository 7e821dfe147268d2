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
        parallelChunks(rows, threads: threads) { range in
            for row in range { self.runRow(row, input: input, output: output) }
        }
    }

    @inline(__always)
    func runRow(_ row: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.inputChannels
        let n = row / g.outputHeight, oy = row % g.outputHeight
        let inRaw = UnsafeRawPointer(input), wRaw = UnsafeRawPointer(weights), bRaw = UnsafeRawPointer(bias)
        for ox in 0..<g.outputWidth {
            let out = output + ((n * g.outputHeight + oy) * g.outputWidth + ox) * c
            var ch = 0
            while ch + 8 <= c {
                var acc = bRaw.loadUnaligned(fromByteOffset: ch * 4, as: SIMD8<Float>.self)
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inputHeight { continue }
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if ix < 0 || ix >= g.inputWidth { continue }
                        let x = inRaw.loadUnaligned(fromByteOffset: (((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch) * 4, as: SIMD8<Float>.self)
                        let w = wRaw.loadUnaligned(fromByteOffset: ((ky * g.kernelWidth + kx) * c + ch) * 4, as: SIMD8<Float>.self)
                        acc.addProduct(x, w)
                    }
                }
                UnsafeMutableRawPointer(out + ch).storeBytes(of: acc, as: SIMD8<Float>.self)
                ch += 8
            }
            while ch < c {
                var acc = bias[ch]
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inputHeight { continue }
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if ix < 0 || ix >= g.inputWidth { continue }
                        acc += input[((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch] * weights[(ky * g.kernelWidth + kx) * c + ch]
                    }
                }
                out[ch] = acc
                ch += 1
            }
            activation.apply(out, count: c)
        }
    }
}
