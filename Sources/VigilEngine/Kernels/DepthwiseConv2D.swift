/// Depthwise convolution (groups == Cin == Cout) over channels-last data, vectorised over
/// channels: each output pixel accumulates KH×KW channel vectors, in registers (see `runRow`).
///
/// Measured (session 3, pose detector at one thread, AMD EPYC Zen 4): the previous form, which
/// added each tap into the output row in memory, spent 4.0 ms in depthwise layers; this one
/// 2.2–2.6 ms. The register form only pays off with constant tap loops (specialised 3×3 and 5×5)
/// and with several independent accumulators at the edges too.
final class DepthwiseConv2DKernel: RowPartitionedKernel, @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// `[KH, KW, C]`
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let threads: Int
    /// Output pixels whose every horizontal tap lands inside the input.
    let interior: Range<Int>

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
        // ox·sw − padLeft ≥ 0 and ox·sw − padLeft + (KW − 1)·dw ≤ W − 1.
        let lo = (g.padLeft + g.strideW - 1) / g.strideW
        let last = g.inputWidth - 1 - (g.kernelWidth - 1) * g.dilationW + g.padLeft
        let hi = last < 0 ? 0 : last / g.strideW + 1
        interior = min(lo, g.outputWidth)..<max(min(lo, g.outputWidth), min(hi, g.outputWidth))
    }

    deinit {
        weights.deallocate()
        bias.deallocate()
    }

    /// input: `[N, H, W, C]`; output: `[N, OH, OW, C]`.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let rows = g.batch * g.outputHeight
        parallelChunks(rows, threads: threads, work: rows * g.outputWidth * g.outputChannels * g.kernelHeight * g.kernelWidth,
                       RowsJob(kernel: self, input: input, output: output))
    }

    func run(rows range: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for row in range { runRow(row, columns: 0..<g.outputWidth, input: input, output: output) }
    }

    /// Only the output pixels in `region` (clamped to the map), on the calling thread, with the
    /// same values a whole-map run writes there; the rest of `output` is left as it is.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, region: FeatureRegion) {
        let region = region.clamped(height: g.outputHeight, width: g.outputWidth)
        guard !region.columns.isEmpty else { return }
        for n in 0..<g.batch {
            for y in region.rows { runRow(n * g.outputHeight + y, columns: region.columns, input: input, output: output) }
        }
    }

    /// Taps of one kernel axis that land inside the input: `lo..<hi` for window origin `origin`.
    @inline(__always)
    static func validTaps(origin: Int, kernel: Int, dilation: Int, size: Int) -> (Int, Int) {
        let lo = origin < 0 ? min(kernel, (-origin + dilation - 1) / dilation) : 0
        let hi = max(lo, min(kernel, (size - origin + dilation - 1) / dilation))
        return (lo, hi)
    }

    /// Output columns `columns` of one output row. For each tile of output pixels and each 8-channel block, eight (then
    /// four) neighbouring interior pixels accumulate in registers over all taps: one weight
    /// load serves eight FMAs, and nothing is stored until the pixels are done. For 3×3 and 5×5
    /// windows wholly inside the input rows the tap loops have constant bounds, so the compiler
    /// unrolls them and reuses each loaded input vector for the neighbouring pixels' other taps.
    /// Pixels near the left and right edges, whose windows hang over the padding, go one at a
    /// time with their valid taps. A tile's input stays in L1 across the taps and the next
    /// channel block (which reads the other half of the same cache lines).
    @inline(__always)
    func runRow(_ row: Int, columns: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let c = g.inputChannels, ow = g.outputWidth, kw = g.kernelWidth, kh = g.kernelHeight
        let sw = g.strideW, dw = g.dilationW, padLeft = g.padLeft, width = g.inputWidth
        let n = row / g.outputHeight, oy = row % g.outputHeight
        let iy0 = oy * g.strideH - g.padTop
        let (kyLo, kyHi) = Self.validTaps(origin: iy0, kernel: kh, dilation: g.dilationH, size: g.inputHeight)
        let inBase = input + n * g.inputHeight * width * c
        let outRow = output + (n * g.outputHeight + oy) * ow * c
        let inStep = sw * c, tapStep = dw * c, rowStep = g.dilationH * width * c
        let weights = UnsafePointer(self.weights), bias = UnsafePointer(self.bias)
        let activation = self.activation
        let blocked = c & ~7
        let fullWindow = kyLo == 0 && kyHi == kh
        // Blocks of 8 channels start at 0, 8, … below `blocked`; when C is not a multiple of 8
        // (but at least 8) one more starts at C − 8, overlapping its neighbour (`blockEnd` = C).
        let blockEnd = blocked < c && c >= 8 ? c : blocked

        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
            // The usual epilogues inline; the rest go through `Activation.vector`.
            let result: SIMD8<Float>
            switch activation {
            case .identity: result = v
            case .relu: result = v.replacing(with: 0, where: v .< 0)
            case .clip(let lo, let hi): result = Activation.clamp(v, SIMD8(repeating: lo), SIMD8(repeating: hi))
            default: result = activation.vector(v)
            }
            UnsafeMutableRawPointer(p).storeBytes(of: result, as: SIMD8<Float>.self)
        }
        /// One pixel, any position, every 8-channel block: only the taps inside the input. Four
        /// blocks at a time, so that four independent accumulations hide the FMA latency.
        @inline(__always) func edgePixel(_ ox: Int) {
            let x0 = ox * sw - padLeft
            let (kxLo, kxHi) = Self.validTaps(origin: x0, kernel: kw, dilation: dw, size: width)
            let firstRow = inBase + (iy0 + kyLo * g.dilationH) * width * c
            var ch = 0
            while ch + 32 <= blocked {
                var a0 = load(bias + ch), a1 = load(bias + ch + 8), a2 = load(bias + ch + 16), a3 = load(bias + ch + 24)
                var inRow = firstRow + ch
                for ky in kyLo..<kyHi {
                    let w = weights + ky * kw * c + ch
                    for kx in kxLo..<kxHi {
                        let src = inRow + (x0 + kx * dw) * c, wk = w + kx * c
                        a0.addProduct(load(src), load(wk))
                        a1.addProduct(load(src + 8), load(wk + 8))
                        a2.addProduct(load(src + 16), load(wk + 16))
                        a3.addProduct(load(src + 24), load(wk + 24))
                    }
                    inRow += rowStep
                }
                let out = outRow + ox * c + ch
                store(a0, out); store(a1, out + 8); store(a2, out + 16); store(a3, out + 24)
                ch += 32
            }
            // With C not a multiple of 8, a last block ending at C overlaps the one before it:
            // the overlapping channels are computed twice, identically.
            while ch < blockEnd {
                if ch >= blocked { ch = c - 8 }
                var acc = load(bias + ch)
                var inRow = firstRow + ch
                for ky in kyLo..<kyHi {
                    let w = weights + ky * kw * c + ch
                    for kx in kxLo..<kxHi { acc.addProduct(load(inRow + (x0 + kx * dw) * c), load(w + kx * c)) }
                    inRow += rowStep
                }
                store(acc, outRow + ox * c + ch)
                ch += 8
            }
        }

        let window: Int? = fullWindow && kh == 3 && kw == 3 ? 3 : fullWindow && kh == 5 && kw == 5 ? 5 : nil
        var tileStart = columns.lowerBound
        while tileStart < columns.upperBound {
            let tileEnd = min(columns.upperBound, tileStart + Self.tilePixels)
            // Interior pixels in groups of four (see `InteriorSpan`), the rest one at a time.
            let spanStart = min(max(tileStart, interior.lowerBound), tileEnd)
            let spanCount = max(0, min(tileEnd, interior.upperBound) - spanStart) & ~3
            if spanCount > 0 {
                let span = InteriorSpan(input: inBase + (iy0 + kyLo * g.dilationH) * width * c + (spanStart * sw - padLeft) * c,
                                        weights: weights + kyLo * kw * c, output: outRow + spanStart * c,
                                        bias: bias, blocked: blocked, blockEnd: blockEnd, pixels: spanCount, rows: kyHi - kyLo, taps: kw, channels: c,
                                        inStep: inStep, tapStep: tapStep, rowStep: rowStep, activation: activation)
                _ = span.run(window)
            }
            for ox in tileStart..<spanStart { edgePixel(ox) }
            for ox in (spanStart + spanCount)..<tileEnd { edgePixel(ox) }
            tileStart = tileEnd
        }
        guard blocked < c, c < 8 else { return }
        // Channels past the last multiple of 8, one at a time.
        let first = blocked
        for ox in columns {
            let x0 = ox * sw - padLeft
            let (kxLo, kxHi) = Self.validTaps(origin: x0, kernel: kw, dilation: dw, size: width)
            let dst = outRow + ox * c
            for k in first..<c { dst[k] = bias[k] }
            for ky in kyLo..<kyHi {
                let inRow = inBase + (iy0 + ky * g.dilationH) * width * c
                for kx in kxLo..<kxHi {
                    let src = inRow + (x0 + kx * dw) * c
                    for k in first..<c { dst[k] += src[k] * weights[(ky * kw + kx) * c + k] }
                }
            }
            activation.apply(dst + first, count: c - first)
        }
    }
}

/// Window sizes known at compile time, so that `InteriorSpan.run` is specialised with constant
/// loop bounds (unrolled, with input vectors reused across taps) for the common kernels.
protocol DepthwiseWindow { static var size: Int? { get } }
enum Window3: DepthwiseWindow { static var size: Int? { 3 } }
enum Window5: DepthwiseWindow { static var size: Int? { 5 } }
enum AnyWindow: DepthwiseWindow { static var size: Int? { nil } }

/// Consecutive interior output pixels of one row and one 8-channel block (every horizontal tap
/// inside the input), computed eight then four at a time in registers.
struct InteriorSpan {
    /// Input at the first pixel's window origin (first valid kernel row), channel 0.
    let input: UnsafePointer<Float>
    /// Weights of the first valid kernel row, channel 0; rows of `taps · channels`.
    let weights: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>
    /// Channel blocks of 8 start at 0, 8, … below `blocked`, and one more at C − 8 when
    /// `blockEnd` (= C) is past `blocked` (see `runRow`). All of them are done in one call, so
    /// that a short span (a small map) pays the dispatch once, not once per block. Measured at
    /// one thread (`vigil bench --steps`, summed depthwise steps, 2–3 alternating rounds on a
    /// noisy host): full-range face 1.76–1.85 → 1.60–1.77 ms, palm 2.92–2.98 → 2.28–2.70 ms,
    /// pose 3.88–4.30 → 2.52–3.83 ms; 6×6 and 12×12 layers 2–4× faster.
    let blocked: Int, blockEnd: Int
    let pixels: Int, rows: Int, taps: Int, channels: Int
    /// Floats between neighbouring output pixels' inputs, neighbouring taps, and kernel rows.
    let inStep: Int, tapStep: Int, rowStep: Int
    let activation: Activation

    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    /// (The four-pixel loop repeats the eight-pixel one with half the accumulators: dropping it,
    /// and leaving up to seven pixels to the edge path, cost 2–4% on the face detectors.)
    /// Computes the span's pixels in groups of eight, then four, for a window of `size`×`size`
    /// (nil: `rows`×`taps`); returns how many it did (the last `pixels % 4` are left to the
    /// caller). Dispatches once to a copy specialised for the window and the epilogue.
    func run(_ size: Int?) -> Int {
        switch (size, activation) {
        case (3, .identity): return run(Window3.self, IdentityEpilogue.self)
        case (3, .relu): return run(Window3.self, ReluEpilogue.self)
        case (3, .clip): return run(Window3.self, ClipEpilogue.self)
        case (5, .identity): return run(Window5.self, IdentityEpilogue.self)
        case (5, .relu): return run(Window5.self, ReluEpilogue.self)
        case (5, .clip): return run(Window5.self, ClipEpilogue.self)
        case (3, _): return finish(run(Window3.self, IdentityEpilogue.self))
        case (5, _): return finish(run(Window5.self, IdentityEpilogue.self))
        case (_, .identity): return run(AnyWindow.self, IdentityEpilogue.self)
        case (_, .relu): return run(AnyWindow.self, ReluEpilogue.self)
        case (_, .clip): return run(AnyWindow.self, ClipEpilogue.self)
        default: return finish(run(AnyWindow.self, IdentityEpilogue.self))
        }
    }

    /// Applies any other activation to the first `done` pixels after the fact.
    private func finish(_ done: Int) -> Int {
        for ox in 0..<done {
            var block = 0
            while block < blockEnd {
                let ch = block >= blocked ? channels - 8 : block
                let p = UnsafeMutableRawPointer(output + ox * channels + ch)
                let value = p.loadUnaligned(as: SIMD8<Float>.self)
                var result = activation.vector(value)
                if ch < block {
                    // The overlapping last block: its first `block − ch` channels belong to the
                    // block before, already activated; activating them twice would be wrong.
                    let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
                    result = value.replacing(with: result, where: lane .>= SIMD8(repeating: Int32(block - ch)))
                }
                p.storeBytes(of: result, as: SIMD8<Float>.self)
                block = ch + 8
            }
        }
        return done
    }

    @inline(__always) private func store<E: KernelEpilogue>(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _: E.Type,
                                                               _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: E.apply(v, lo, hi, .identity), as: SIMD8<Float>.self)
    }

    private func run<W: DepthwiseWindow, E: KernelEpilogue>(_ window: W.Type, _ epilogue: E.Type) -> Int {
        var lo = SIMD8<Float>(), hi = SIMD8<Float>()
        if case .clip(let l, let h) = activation { (lo, hi) = (SIMD8(repeating: l), SIMD8(repeating: h)) }
        var done = 0
        var block = 0
        while block < blockEnd {
            let ch = block >= blocked ? channels - 8 : block
            done = runBlock(ch, lo, hi, window, epilogue)
            block = ch + 8
        }
        return done
    }

    /// One channel block (its own function: inlined into the loop over blocks, the pixel loops
    /// ran up to 1.8× slower on 24–96-pixel rows).
    @inline(never)
    private func runBlock<W: DepthwiseWindow, E: KernelEpilogue>(_ ch: Int, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>,
                                                                 _: W.Type, _ epilogue: E.Type) -> Int {
        @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { self.store(v, p, epilogue, lo, hi) }
        let rows = W.size ?? self.rows, taps = W.size ?? self.taps
        let c = channels, weightRow = taps * c
        let input = self.input + ch, weights = self.weights + ch, output = self.output + ch
        let bias = load(self.bias + ch)
        var ox = 0
        while ox + 8 <= pixels {
            var a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias
            var inRow = input + ox * inStep
            for ky in 0..<rows {
                var src = inRow
                let w = weights + ky * weightRow
                for kx in 0..<taps {
                    let weight = load(w + kx * c)
                    a0.addProduct(load(src), weight)
                    a1.addProduct(load(src + inStep), weight)
                    a2.addProduct(load(src + 2 * inStep), weight)
                    a3.addProduct(load(src + 3 * inStep), weight)
                    a4.addProduct(load(src + 4 * inStep), weight)
                    a5.addProduct(load(src + 5 * inStep), weight)
                    a6.addProduct(load(src + 6 * inStep), weight)
                    a7.addProduct(load(src + 7 * inStep), weight)
                    src += tapStep
                }
                inRow += rowStep
            }
            let out = output + ox * c
            store(a0, out); store(a1, out + c); store(a2, out + 2 * c); store(a3, out + 3 * c)
            store(a4, out + 4 * c); store(a5, out + 5 * c); store(a6, out + 6 * c); store(a7, out + 7 * c)
            ox += 8
        }
        while ox + 4 <= pixels {
            var a0 = bias, a1 = bias, a2 = bias, a3 = bias
            var inRow = input + ox * inStep
            for ky in 0..<rows {
                var src = inRow
                let w = weights + ky * weightRow
                for kx in 0..<taps {
                    let weight = load(w + kx * c)
                    a0.addProduct(load(src), weight)
                    a1.addProduct(load(src + inStep), weight)
                    a2.addProduct(load(src + 2 * inStep), weight)
                    a3.addProduct(load(src + 3 * inStep), weight)
                    src += tapStep
                }
                inRow += rowStep
            }
            let out = output + ox * c
            store(a0, out); store(a1, out + c); store(a2, out + 2 * c); store(a3, out + 3 * c)
            ox += 4
        }
        return ox
    }
}
