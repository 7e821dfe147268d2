/// Depthwise convolution (groups == Cin == Cout) over channels-last data, vectorised over
/// channels: each output pixel accumulates KH×KW channel vectors, in registers (see `runRow`).
///
/// Measured (session 3, pose detector at one thread, AMD EPYC Zen 4): the previous form, which
/// added each tap into the output row in memory, spent 4.0 ms in depthwise layers; the register
/// form 2.2–2.6 ms. It only pays off with constant tap loops (specialised 3×3 and 5×5) and with
/// several independent accumulators at the edges too. Session 5 made the 3×3 form address its
/// input through a few row pointers (`InteriorSpan`): one-layer 3×3 models 1.8–2.9× faster.
final class DepthwiseConv2DKernel: RowPartitionedKernel, @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// `[KH, KW, C]`
    let weights: UnsafeMutablePointer<Float>
    /// The same weights by 8-channel block, `[blocks][KH·KW][8]` (see `InteriorSpan`): block i
    /// holds channels 8i..<8i+8, and when C is not a multiple of 8 (but at least 8) a last
    /// block holds C − 8..<C.
    let blockedWeights: UnsafeMutablePointer<Float>
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
        weights = allocateAligned(count: taps * c)
        for ch in 0..<c { for t in 0..<taps { weights[t * c + ch] = values[ch * taps + t] } }
        let blockStarts = Array(stride(from: 0, to: c & ~7, by: 8)) + (c % 8 != 0 && c >= 8 ? [c - 8] : [])
        blockedWeights = allocateAligned(count: max(1, blockStarts.count) * taps * 8)
        for (block, start) in blockStarts.enumerated() {
            for t in 0..<taps { for lane in 0..<8 { blockedWeights[(block * taps + t) * 8 + lane] = weights[t * c + start + lane] } }
        }
        bias = allocateAligned(count: c)
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
        blockedWeights.deallocate()
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

    /// Output columns `columns` of one output row, in tiles of `tilePixels`. Interior pixels
    /// (every horizontal tap inside the input) go through a span that keeps several pixels'
    /// sums in registers: `InteriorSpan` (four pixels × one 8-channel block at a time, blocked
    /// weights) for every window but 5×5, `RegisterTileSpan` (eight pixels of one block) for
    /// 5×5. For 3×3 and 5×5 windows wholly inside the input rows the tap loops have constant
    /// bounds, so the compiler unrolls them. Pixels near the left and right edges, whose
    /// windows hang over the padding, go one at a time with their valid taps.
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
        /// Channels `0..<end` (a multiple of 32) of the pixel whose window starts at input column
        /// `x0`, with horizontal taps `kxLo..<kxLo + taps`, four 8-channel blocks at a time so
        /// that four independent accumulations hide the FMA latency. The tap count is a type
        /// where it can be (`T.count`, 0 for `EdgeTapsAny`), so that the tap loop unrolls: on the
        /// pose detector's 7×7 maps under 5×5 windows nearly every pixel is an edge pixel, and
        /// the loop's own overhead held them to 21 GFLOP/s.
        let (lo, hi) = activation.clipBounds
        @inline(__always) func edgeBlocks<T: EdgeTaps, E: KernelEpilogue>(_: T.Type, _: E.Type, ox: Int, x0: Int, kxLo: Int, taps: Int,
                                                                          end: Int, firstRow: UnsafePointer<Float>) {
            let taps = T.count > 0 ? T.count : taps
            @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
                UnsafeMutableRawPointer(p).storeBytes(of: E.apply(v, lo, hi, activation), as: SIMD8<Float>.self)
            }
            var ch = 0
            while ch < end {
                var a0 = load(bias + ch), a1 = load(bias + ch + 8), a2 = load(bias + ch + 16), a3 = load(bias + ch + 24)
                var inRow = firstRow + ch + (x0 + kxLo * dw) * c
                var w = weights + kyLo * kw * c + kxLo * c + ch
                for _ in kyLo..<kyHi {
                    for j in 0..<taps {
                        let src = inRow + j * dw * c, wk = w + j * c
                        a0.addProduct(load(src), load(wk))
                        a1.addProduct(load(src + 8), load(wk + 8))
                        a2.addProduct(load(src + 16), load(wk + 16))
                        a3.addProduct(load(src + 24), load(wk + 24))
                    }
                    inRow += rowStep
                    w += kw * c
                }
                let out = outRow + ox * c + ch
                store(a0, out); store(a1, out + 8); store(a2, out + 16); store(a3, out + 24)
                ch += 32
            }
        }
        /// One pixel, any position, every 8-channel block: only the taps inside the input.
        @inline(__always) func edgePixel(_ ox: Int) {
            let x0 = ox * sw - padLeft
            let (kxLo, kxHi) = Self.validTaps(origin: x0, kernel: kw, dilation: dw, size: width)
            let firstRow = inBase + (iy0 + kyLo * g.dilationH) * width * c
            let end = blocked & ~31
            // The epilogue as a type too, so that the stores inline: a run-time switch on the
            // activation at each store kept them out of line, with the accumulators spilled.
            @inline(__always) func edgeTaps<E: KernelEpilogue>(_: E.Type) {
                let taps = kxHi - kxLo
                switch taps {
                case 1: edgeBlocks(EdgeTaps1.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                case 2: edgeBlocks(EdgeTaps2.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                case 3: edgeBlocks(EdgeTaps3.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                case 4: edgeBlocks(EdgeTaps4.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                case 5: edgeBlocks(EdgeTaps5.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                default: edgeBlocks(EdgeTapsAny.self, E.self, ox: ox, x0: x0, kxLo: kxLo, taps: taps, end: end, firstRow: firstRow)
                }
            }
            switch activation {
            case .identity: edgeTaps(IdentityEpilogue.self)
            case .relu: edgeTaps(ReluEpilogue.self)
            case .clip: edgeTaps(ClipEpilogue.self)
            default: edgeTaps(GeneralEpilogue.self)
            }
            var ch = end
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
            // Interior pixels (see `InteriorSpan` and `RegisterTileSpan`), then the rest one at a time.
            let spanStart = min(max(tileStart, interior.lowerBound), tileEnd)
            var spanEnd = spanStart
            let interiorCount = max(0, min(tileEnd, interior.upperBound) - spanStart)
            let spanInput = inBase + (iy0 + kyLo * g.dilationH) * width * c + (spanStart * sw - padLeft) * c
            if window == 5 {
                let span = RegisterTileSpan(input: spanInput, weights: weights + kyLo * kw * c, output: outRow + spanStart * c,
                                            bias: bias, blocked: blocked, blockEnd: blockEnd, pixels: interiorCount & ~3, rows: kyHi - kyLo,
                                            taps: kw, channels: c, inStep: inStep, tapStep: tapStep, rowStep: rowStep, activation: activation)
                if interiorCount >= 4 { spanEnd += span.run(window) }
            } else if interiorCount > 0 && c >= 8 {
                let span = InteriorSpan(input: spanInput, weights: UnsafePointer(blockedWeights) + kyLo * kw * 8, blockStride: kh * kw * 8,
                                        output: outRow + spanStart * c, bias: bias, blocked: blocked, blockEnd: blockEnd,
                                        pixels: interiorCount, rows: kyHi - kyLo, taps: kw, channels: c,
                                        inStep: inStep, tapStep: tapStep, rowStep: rowStep, activation: activation)
                spanEnd += span.run(window)
            }
            for ox in tileStart..<spanStart { edgePixel(ox) }
            for ox in spanEnd..<tileEnd { edgePixel(ox) }
            tileStart = tileEnd
        }
        guard blocked < c, c < 8 else { return }
        if c == 4 {
            // Four channels (the full-range face detector's head): one 4-lane accumulator per
            // pixel in a register; one channel at a time through memory, below, ran it at
            // 1.8 GFLOP/s.
            @inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }
            let (lo4, hi4) = (lo.lowHalf, hi.lowHalf)
            for ox in columns {
                let x0 = ox * sw - padLeft
                let (kxLo, kxHi) = Self.validTaps(origin: x0, kernel: kw, dilation: dw, size: width)
                var acc = load4(bias)
                for ky in kyLo..<kyHi {
                    let inRow = inBase + (iy0 + ky * g.dilationH) * width * 4
                    for kx in kxLo..<kxHi { acc.addProduct(load4(inRow + (x0 + kx * dw) * 4), load4(weights + (ky * kw + kx) * 4)) }
                }
                switch activation {
                case .identity: break
                case .relu: acc = acc.replacing(with: 0, where: acc .< 0)
                case .clip: acc = acc.replacing(with: lo4, where: acc .< lo4).replacing(with: hi4, where: acc .> hi4)
                default: acc = activation.vector(SIMD8(lowHalf: acc, highHalf: SIMD4())).lowHalf
                }
                UnsafeMutableRawPointer(outRow + ox * 4).storeBytes(of: acc, as: SIMD4<Float>.self)
            }
            return
        }
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

/// A run of interior output pixels of one row, computed by `compute` for a window type and
/// an epilogue, which returns how many pixels it did (from the first).
protocol DepthwiseSpan {
    var output: UnsafeMutablePointer<Float> { get }
    var channels: Int { get }
    var blocked: Int { get }
    var blockEnd: Int { get }
    var activation: Activation { get }
    func compute<W: DepthwiseWindow, E: KernelEpilogue>(_ window: W.Type, _ epilogue: E.Type) -> Int
}

extension DepthwiseSpan {
    /// Computes the span for a window of `size`×`size` (nil: any), dispatching once to a copy
    /// specialised for the window and the epilogue (identity, ReLU and clip in the store; any
    /// other activation after the fact); returns how many pixels were done.
    func run(_ size: Int?) -> Int {
        switch (size, activation) {
        case (3, .identity): return compute(Window3.self, IdentityEpilogue.self)
        case (3, .relu): return compute(Window3.self, ReluEpilogue.self)
        case (3, .clip): return compute(Window3.self, ClipEpilogue.self)
        case (5, .identity): return compute(Window5.self, IdentityEpilogue.self)
        case (5, .relu): return compute(Window5.self, ReluEpilogue.self)
        case (5, .clip): return compute(Window5.self, ClipEpilogue.self)
        case (3, _): return finish(compute(Window3.self, IdentityEpilogue.self))
        case (5, _): return finish(compute(Window5.self, IdentityEpilogue.self))
        case (_, .identity): return compute(AnyWindow.self, IdentityEpilogue.self)
        case (_, .relu): return compute(AnyWindow.self, ReluEpilogue.self)
        case (_, .clip): return compute(AnyWindow.self, ClipEpilogue.self)
        default: return finish(compute(AnyWindow.self, IdentityEpilogue.self))
        }
    }

    /// Applies the activation to the first `done` pixels after the fact.
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
}

/// The horizontal tap count of an edge pixel known at compile time (see `edgeBlocks` in
/// `DepthwiseConv2DKernel.runRow`); 0 (`EdgeTapsAny`, windows wider than 5) takes it at run time.
protocol EdgeTaps { static var count: Int { get } }
enum EdgeTapsAny: EdgeTaps { static var count: Int { 0 } }
enum EdgeTaps1: EdgeTaps { static var count: Int { 1 } }
enum EdgeTaps2: EdgeTaps { static var count: Int { 2 } }
enum EdgeTaps3: EdgeTaps { static var count: Int { 3 } }
enum EdgeTaps4: EdgeTaps { static var count: Int { 4 } }
enum EdgeTaps5: EdgeTaps { static var count: Int { 5 } }

/// Window sizes known at compile time, so that `InteriorSpan.run` is specialised with constant
/// loop bounds (unrolled, with input vectors reused across taps) for the common kernels.
protocol DepthwiseWindow { static var size: Int? { get } }
enum Window3: DepthwiseWindow { static var size: Int? { 3 } }
enum Window5: DepthwiseWindow { static var size: Int? { 5 } }
enum AnyWindow: DepthwiseWindow { static var size: Int? { nil } }

/// Consecutive interior output pixels of one row (every horizontal tap inside the input),
/// one pixel at a time, its channels 8 at a time: each 8-channel output vector sums its taps
/// in registers, reading the input through a few row pointers at offsets of one tap, and
/// the weights of its block from one contiguous `[taps][8]` run.
///
/// Why this shape: the previous form held eight neighbouring pixels of one channel block in
/// registers so that each weight load served eight FMAs. The compiler turned its 72 distinct
/// input addresses into pointer variables kept on the stack: about 580 instructions, half of
/// them stack loads and stores, per 8 × 72 FMAs, 16–23 GFLOP/s on 24×24 to 96×96 maps (one
/// thread, `vigil bench --steps` on one-layer models). Here the addresses are a handful of
/// registers and the loop is bound by its two loads per FMA.
struct InteriorSpan: DepthwiseSpan {
    /// Input at the first pixel's window origin (first valid kernel row), channel 0.
    let input: UnsafePointer<Float>
    /// Blocked weights (`DepthwiseConv2DKernel.blockedWeights`) of block 0 at the first valid
    /// kernel row; block b starts `blockStride` floats further.
    let weights: UnsafePointer<Float>
    let blockStride: Int
    let output: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>
    /// Channel blocks of 8 start at 0, 8, … below `blocked`, and one more at C − 8 when
    /// `blockEnd` (= C) is past `blocked` (see `runRow`). Needs C ≥ 8.
    let blocked: Int, blockEnd: Int
    let pixels: Int, rows: Int, taps: Int, channels: Int
    /// Floats between neighbouring output pixels' inputs, neighbouring taps, and kernel rows.
    let inStep: Int, tapStep: Int, rowStep: Int
    let activation: Activation

    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    @inline(never)
    func compute<W: DepthwiseWindow, E: KernelEpilogue>(_: W.Type, _: E.Type) -> Int {
        var lo = SIMD8<Float>(), hi = SIMD8<Float>()
        if case .clip(let l, let h) = activation { (lo, hi) = (SIMD8(repeating: l), SIMD8(repeating: h)) }
        let rows = W.size ?? self.rows, taps = W.size ?? self.taps
        let c = channels, tapStep = self.tapStep, rowStep = self.rowStep, blockStride = self.blockStride
        // Four, then two neighbouring pixels at a time share each weight load; a last odd pixel
        // alone. (One loop of four with a partial last group, the missing pixels reading the
        // first one's input as the GEMM kernels do, was 6–13% slower on every one-layer 3×3
        // model, full groups included: the pixel offsets became variables.)
        var px = 0
        while px + 4 <= pixels {
            let origin = input + px * inStep
            let out = output + px * c
            var w = weights
            var block = 0
            while block < blockEnd {
                let ch = block >= blocked ? c - 8 : block
                var a0 = load(bias + ch), a1 = a0, a2 = a0, a3 = a0
                var b0 = SIMD8<Float>(), b1 = b0, b2 = b0, b3 = b0
                var row0 = origin + ch
                for ky in 0..<rows {
                    let row1 = row0 + inStep, row2 = row1 + inStep, row3 = row2 + inStep
                    for kx in 0..<taps {
                        let t = ky * taps + kx
                        let weight = load(w + t * 8)
                        if t & 1 == 0 {
                            a0.addProduct(load(row0 + kx * tapStep), weight)
                            a1.addProduct(load(row1 + kx * tapStep), weight)
                            a2.addProduct(load(row2 + kx * tapStep), weight)
                            a3.addProduct(load(row3 + kx * tapStep), weight)
                        } else {
                            b0.addProduct(load(row0 + kx * tapStep), weight)
                            b1.addProduct(load(row1 + kx * tapStep), weight)
                            b2.addProduct(load(row2 + kx * tapStep), weight)
                            b3.addProduct(load(row3 + kx * tapStep), weight)
                        }
                    }
                    row0 += rowStep
                }
                let o = UnsafeMutableRawPointer(out + ch)
                o.storeBytes(of: E.apply(a0 + b0, lo, hi, .identity), as: SIMD8<Float>.self)
                o.storeBytes(of: E.apply(a1 + b1, lo, hi, .identity), toByteOffset: 4 * c, as: SIMD8<Float>.self)
                o.storeBytes(of: E.apply(a2 + b2, lo, hi, .identity), toByteOffset: 8 * c, as: SIMD8<Float>.self)
                o.storeBytes(of: E.apply(a3 + b3, lo, hi, .identity), toByteOffset: 12 * c, as: SIMD8<Float>.self)
                w += blockStride
                block = ch + 8
            }
            px += 4
        }
        while px + 2 <= pixels {
            let origin = input + px * inStep
            let out = output + px * c
            var w = weights
            var block = 0
            while block < blockEnd {
                let ch = block >= blocked ? c - 8 : block
                // Two accumulators per pixel (even and odd taps) halve the dependent FMA chains.
                var even0 = load(bias + ch), odd0 = SIMD8<Float>(), even1 = even0, odd1 = SIMD8<Float>()
                var row0 = origin + ch, row1 = row0 + inStep
                for ky in 0..<rows {
                    for kx in 0..<taps {
                        let t = ky * taps + kx
                        let weight = load(w + t * 8)
                        if t & 1 == 0 {
                            even0.addProduct(load(row0 + kx * tapStep), weight)
                            even1.addProduct(load(row1 + kx * tapStep), weight)
                        } else {
                            odd0.addProduct(load(row0 + kx * tapStep), weight)
                            odd1.addProduct(load(row1 + kx * tapStep), weight)
                        }
                    }
                    row0 += rowStep
                    row1 += rowStep
                }
                UnsafeMutableRawPointer(out + ch).storeBytes(of: E.apply(even0 + odd0, lo, hi, .identity), as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + c + ch).storeBytes(of: E.apply(even1 + odd1, lo, hi, .identity), as: SIMD8<Float>.self)
                w += blockStride
                block = ch + 8
            }
            px += 2
        }
        guard px < pixels else { return pixels }
        let origin = input + px * inStep
        let out = output + px * c
        var w = weights
        var block = 0
        while block < blockEnd {
            let ch = block >= blocked ? c - 8 : block
            var even = load(bias + ch), odd = SIMD8<Float>()
            var row = origin + ch
            for ky in 0..<rows {
                for kx in 0..<taps {
                    let t = ky * taps + kx
                    if t & 1 == 0 {
                        even.addProduct(load(row + kx * tapStep), load(w + t * 8))
                    } else {
                        odd.addProduct(load(row + kx * tapStep), load(w + t * 8))
                    }
                }
                row += rowStep
            }
            UnsafeMutableRawPointer(out + ch).storeBytes(of: E.apply(even + odd, lo, hi, .identity), as: SIMD8<Float>.self)
            w += blockStride
            block = ch + 8
        }
        return pixels
    }
}

/// Consecutive interior output pixels of one row (every horizontal tap inside the input), for
/// 5×5 windows: per 8-channel block, eight then four neighbouring pixels accumulate in
/// registers, so that one weight load serves eight FMAs and each input vector serves several
/// taps. For 3×3 windows `InteriorSpan` is faster (see there); for 5×5 this one is: palm
/// detector's 5×5 depthwise steps 2.02–2.08 ms here against 2.21–2.42 ms with `InteriorSpan`
/// (two and four pixels at a time; one thread, `vigil bench --steps`, alternating builds).
struct RegisterTileSpan: DepthwiseSpan {
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

    // (The four-pixel loop repeats the eight-pixel one with half the accumulators: dropping it,
    // and leaving up to seven pixels to the edge path, cost 2–4% on the face detectors.)

    @inline(__always) private func store<E: KernelEpilogue>(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _: E.Type,
                                                               _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: E.apply(v, lo, hi, .identity), as: SIMD8<Float>.self)
    }

    func compute<W: DepthwiseWindow, E: KernelEpilogue>(_ window: W.Type, _ epilogue: E.Type) -> Int {
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
