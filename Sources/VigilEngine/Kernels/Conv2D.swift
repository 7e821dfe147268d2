#if canImport(Glibc)
import Glibc
#endif

/// Convolution as GEMM over channels-last data: output pixels are rows, output channels
/// columns, and each row of A is the receptive-field patch of one output pixel
/// (im2col, built tile by tile into per-thread scratch; 1×1 stride-1 convs use the input as A).
final class Conv2DKernel: @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// One packed `[KH*KW*Cin/g, Cout/g]` matrix per group; none for a sparse layer.
    let weights: [PackedMatrix]
    let bias: UnsafeMutablePointer<Float>
    let isPointwise: Bool
    let patchSize: Int
    /// Output pixels per im2col tile (a multiple of the micro-kernel's rows).
    let tileRows = 48
    let scratch: UnsafeMutablePointer<Float>
    let threads: Int
    /// The Winograd form of this convolution where it applies (see `WinogradConv2DKernel`),
    /// used for runs without a residual.
    let winograd: WinogradConv2DKernel?
    /// The sparse form of a 1×1 convolution whose weights are mostly zeros (see
    /// `SparsePointwiseKernel`), which then replaces the GEMM.
    let sparse: SparsePointwiseKernel?
    /// PReLU slopes per output channel, applied in the GEMM's store instead of `activation`
    /// (zero-padded by 16, as `GEMM.multiply` reads them); nil for none.
    let slopes: UnsafeMutablePointer<Float>?

    /// Whether a PReLU after this convolution can be fused (`slopes`): its GEMM paths apply
    /// them, the Winograd and sparse forms do not, so a layer that would take one of those
    /// keeps its PReLU as a step of its own.
    static func takesSlopes(_ g: ConvolutionGeometry, weights: Tensor) -> Bool {
        if preluFusionDisabled || (WinogradConv2DKernel.applies(g) && !winogradDisabled) { return false }
        return !(isPointwise(g) && SparsePointwiseKernel.suits(inputChannels: g.inputChannels, outputChannels: g.outputChannels)
                 && SparsePointwiseKernel.applies(inputChannels: g.inputChannels, outputChannels: g.outputChannels, weights: weights.floats))
    }

    /// Whether the convolution is a plain matrix product over pixels (1×1, stride 1, no
    /// padding, one group), which runs straight from the input without im2col.
    static func isPointwise(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0
            && g.groups == 1 && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth
    }

    /// - weights: OIHW `[Cout, Cin/g, KH, KW]`; bias `[Cout]`.
    /// - preluSlopes: `[Cout]` PReLU slopes fused after the bias and residual (`takesSlopes`
    ///   must hold, `activation` be `.identity`), or nil.
    init(geometry: ConvolutionGeometry, weights w: Tensor, bias b: Tensor?, activation: Activation, preluSlopes: [Float]? = nil, threads: Int) {
        g = geometry
        self.activation = activation
        precondition(preluSlopes == nil || (activation == .identity && preluSlopes!.count == geometry.outputChannels),
                     "PReLU slopes need one per output channel and no other activation")
        slopes = preluSlopes.map { values in
            let p = allocateAligned(count: values.count + 16)
            p.initialize(repeating: 0, count: values.count + 16)
            p.update(from: values, count: values.count)
            return p
        }
        self.threads = max(1, threads)
        let cig = g.inputChannelsPerGroup, cog = g.outputChannelsPerGroup
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let values = w.floats
        patchSize = kh * kw * cig
        bias = allocateAligned(count: g.outputChannels)
        let biasValues = b?.floats ?? [Float](repeating: 0, count: g.outputChannels)
        for i in 0..<g.outputChannels { bias[i] = biasValues[i] }
        isPointwise = Self.isPointwise(g)
        let scratchCount = isPointwise ? 1 : self.threads * tileRows * patchSize
        scratch = allocateAligned(count: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
        sparse = isPointwise && preluSlopes == nil && SparsePointwiseKernel.suits(inputChannels: cig, outputChannels: cog)
            ? SparsePointwiseKernel(inputChannels: cig, outputChannels: cog, weights: values, bias: bias, activation: activation, threads: threads)
            : nil
        // A sparse layer never reaches the GEMM, so its dense panels are not packed.
        weights = sparse != nil ? [] : (0..<g.groups).map { group in
            // B[(ky*KW + kx)*Cin/g + ci, co] = W[group*Cout/g + co, ci, ky, kx]
            PackedMatrix(k: kh * kw * cig, n: cog) { row, column in
                let ci = row % cig, tap = row / cig
                let (ky, kx) = (tap / kw, tap % kw)
                return values[(((group * cog + column) * cig + ci) * kh + ky) * kw + kx]
            }
        }
        winograd = WinogradConv2DKernel.applies(g) && !Self.winogradDisabled && preluSlopes == nil
            ? WinogradConv2DKernel(geometry: g, weights: w, bias: bias, activation: activation, threads: threads) : nil
    }

    /// `VIGIL_PRELU_FUSION=0` keeps every PReLU a step of its own, for comparing in one build.
    static let preluFusionDisabled = getenv("VIGIL_PRELU_FUSION").map { String(cString: $0) == "0" } ?? false

    /// `VIGIL_WINOGRAD=0` plans every convolution directly, for comparing the two in one build.
    static let winogradDisabled = getenv("VIGIL_WINOGRAD").map { String(cString: $0) == "0" } ?? false

    deinit {
        bias.deallocate()
        scratch.deallocate()
        slopes?.deallocate()
    }

    /// input: `[N, H, W, Cin]`; output: `[N, OH, OW, Cout]`.
    /// - residual: optional `[N, OH, OW, C ≤ Cout]` added to the first C channels before the activation.
    /// - winogradScratch: `winograd.scratchCount` floats for the Winograd form (planned steps
    ///   pass a part of the arena); nil allocates it for this call.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: Residual? = nil,
             winogradScratch: UnsafeMutablePointer<Float>? = nil) {
        if residual == nil, let winograd {
            if let winogradScratch { return winograd.run(input: input, output: output, scratch: winogradScratch) }
            let scratch = allocateAligned(count: winograd.scratchCount)
            defer { scratch.deallocate() }
            return winograd.run(input: input, output: output, scratch: scratch)
        }
        let pixels = g.batch * g.outputHeight * g.outputWidth
        if let sparse { return sparse.run(pixels: pixels, input: input, output: output, residual: residual) }
        if isPointwise {
            let work = pixels * g.inputChannels * g.outputChannels
            let units = GEMM.panelUnits(weights[0])
            if threads > 1 && pixels < Self.panelSplitPixels && units >= 2 * threads {
                parallelChunks(units, threads: threads, work: work,
                               PointwiseJob(kernel: self, input: input, output: output, residual: residual, panelsOfPixels: pixels))
                return
            }
            parallelChunks(pixels, threads: threads, minimumChunk: 24, work: work,
                           PointwiseJob(kernel: self, input: input, output: output, residual: residual, panelsOfPixels: nil))
            return
        }
        let tiles = (pixels + tileRows - 1) / tileRows
        let work = pixels * patchSize * g.outputChannelsPerGroup * g.groups
        let chunks = work < minimumParallelWork ? 1 : max(1, min(threads, tiles))
        parallelChunks(chunks, threads: chunks, TilesJob(kernel: self, input: input, output: output, residual: residual, chunks: chunks))
    }

    /// Below this many output pixels a 1×1 convolution splits its output channels between
    /// threads rather than its pixels: a 7×7 map's 49 rows split in two give one thread a
    /// 1-row remainder that costs a whole 6-row micro-kernel call per panel, while every panel
    /// runs all 49 rows at full rate.
    static let panelSplitPixels = 100

    /// Part of a 1×1 convolution, one GEMM straight from the input: output pixels `range`, or
    /// with `panelsOfPixels` = P, column panels `range` (`GEMM.panelUnits`) of pixels 0..<P.
    struct PointwiseJob: ParallelJob {
        let kernel: Conv2DKernel
        let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        let residual: Residual?
        let panelsOfPixels: Int?
        func run(_ range: Range<Int>) {
            GEMM.multiply(rows: panelsOfPixels.map { 0..<$0 } ?? range, panels: panelsOfPixels == nil ? nil : range,
                          a: input, lda: kernel.g.inputChannels, b: kernel.weights[0], bias: kernel.bias,
                          c: output, ldc: kernel.g.outputChannels, activation: kernel.activation, residual: residual,
                          slopes: kernel.slopes)
        }
    }

    /// Chunks `range` of `chunks`, each a run of tiles with its own patch scratch.
    struct TilesJob: ParallelJob {
        let kernel: Conv2DKernel
        let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        let residual: Residual?
        let chunks: Int
        func run(_ range: Range<Int>) {
            for chunk in range { kernel.runTiles(chunk: chunk, of: chunks, input: input, output: output, residual: residual) }
        }
    }

    /// The tiles of chunk `chunk` of `chunks`: gather each tile's patches, then one GEMM per group.
    func runTiles(chunk: Int, of chunks: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: Residual?) {
        let pixels = g.batch * g.outputHeight * g.outputWidth
        let tiles = (pixels + tileRows - 1) / tileRows
        let patch = scratch + chunk * tileRows * patchSize
        var tile = tiles * chunk / chunks
        while tile < tiles * (chunk + 1) / chunks {
            let first = tile * tileRows
            runTile(first: first, count: min(tileRows, pixels - first), patch: patch, input: input, output: output, residual: residual)
            tile += 1
        }
    }

    /// Output pixels `first..<first + count` (at most `tileRows`, consecutive in NHWC order).
    @inline(__always)
    func runTile(first: Int, count: Int, patch: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                 output: UnsafeMutablePointer<Float>, residual: Residual?) {
        for group in 0..<g.groups {
            gatherPatches(input: input, firstPixel: first, count: count, group: group, into: patch)
            GEMM.multiply(rows: 0..<count, a: patch, lda: patchSize, b: weights[group],
                          bias: bias + group * g.outputChannelsPerGroup,
                          c: output + first * g.outputChannels + group * g.outputChannelsPerGroup,
                          ldc: g.outputChannels, activation: activation,
                          residual: residual?.offset(row: first, column: group * g.outputChannelsPerGroup),
                          slopes: slopes.map { $0 + group * g.outputChannelsPerGroup })
        }
    }

    /// Only the output pixels in `region` (clamped to the map), on the calling thread, with the
    /// same values a whole-map run writes there; the rest of `output` is left as it is.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, region: FeatureRegion, residual: Residual? = nil) {
        if residual == nil, let winograd { return winograd.run(input: input, output: output, region: region) }
        let region = region.clamped(height: g.outputHeight, width: g.outputWidth)
        guard !region.columns.isEmpty else { return }
        for n in 0..<g.batch {
            for y in region.rows {
                let rowStart = (n * g.outputHeight + y) * g.outputWidth + region.columns.lowerBound
                if let sparse {
                    sparse.run(pixels: rowStart..<(rowStart + region.columns.count), input: input, output: output, residual: residual)
                    continue
                }
                if isPointwise {
                    GEMM.multiply(rows: rowStart..<(rowStart + region.columns.count), a: input, lda: g.inputChannels, b: weights[0],
                                  bias: bias, c: output, ldc: g.outputChannels, activation: activation, residual: residual,
                                  slopes: slopes)
                    continue
                }
                var first = rowStart
                while first < rowStart + region.columns.count {
                    let count = min(tileRows, rowStart + region.columns.count - first)
                    runTile(first: first, count: count, patch: scratch, input: input, output: output, residual: residual)
                    first += count
                }
            }
        }
    }

    /// Writes the receptive-field patches of `count` output pixels, rows of `patchSize`,
    /// zero where the window hangs over the padding.
    ///
    /// With one group and no horizontal dilation, the taps of one kernel row are neighbouring
    /// pixels, whose channels are contiguous in NHWC: the in-bounds part of a kernel row is one
    /// copy of up to KW·Cin floats instead of KW copies of Cin (for a 3-channel stem, 5 copies
    /// of 15 floats instead of 25 of 3).
    @inline(__always)
    func gatherPatches(input: UnsafePointer<Float>, firstPixel: Int, count: Int, group: Int, into patch: UnsafeMutablePointer<Float>) {
        let cig = g.inputChannelsPerGroup
        let channelOffset = group * cig
        let rowsAreContiguous = g.groups == 1 && g.dilationW == 1
        let kw = g.kernelWidth
        // The first pixel's position, then stepped along: no integer divisions per pixel.
        var ox = firstPixel % g.outputWidth
        var oy = (firstPixel / g.outputWidth) % g.outputHeight
        var n = firstPixel / (g.outputWidth * g.outputHeight)
        @inline(__always) func advance(_ pixels: Int) {
            ox += pixels
            if ox == g.outputWidth {
                ox = 0
                oy += 1
                if oy == g.outputHeight { oy = 0; n += 1 }
            }
        }
        // Output columns whose window lies inside the input horizontally.
        let firstInterior = (g.padLeft + g.strideW - 1) / g.strideW
        let lastRoom = g.inputWidth + g.padLeft - kw  // ox · stride may go up to this
        let interiorColumns = firstInterior..<max(firstInterior, min(g.outputWidth, lastRoom >= 0 ? lastRoom / g.strideW + 1 : 0))
        let rowLength = kw * cig, rowStep = g.dilationH * g.inputWidth * g.inputChannels
        var r = 0
        while r < count {
            var dst = patch + r * patchSize
            let ix0 = ox * g.strideW - g.padLeft
            let iy0 = oy * g.strideH - g.padTop
            if rowsAreContiguous && interiorColumns.contains(ox) && iy0 >= 0 && iy0 + (g.kernelHeight - 1) * g.dilationH < g.inputHeight {
                // A run of pixels along this output row whose windows lie inside the input
                // (most pixels): one copy per kernel row, no bounds work (which cost more than
                // the copies for a 3-channel stem), the source stepped by the stride.
                let run = min(count - r, interiorColumns.upperBound - ox)
                var source = input + ((n * g.inputHeight + iy0) * g.inputWidth + ix0) * g.inputChannels + channelOffset
                for _ in 0..<run {
                    var from = source, to = dst
                    for _ in 0..<g.kernelHeight {
                        DataMovement.copy(from, to: to, count: rowLength)
                        from += rowStep
                        to += rowLength
                    }
                    source += g.strideW * g.inputChannels
                    dst += patchSize
                }
                r += run
                advance(run)
                continue
            }
            defer { r += 1; advance(1) }
            for ky in 0..<g.kernelHeight {
                let iy = iy0 + ky * g.dilationH
                if iy < 0 || iy >= g.inputHeight {
                    DataMovement.fill(dst, count: kw * cig)
                    dst += kw * cig
                    continue
                }
                let rowBase = input + ((n * g.inputHeight + iy) * g.inputWidth) * g.inputChannels + channelOffset
                if rowsAreContiguous {
                    // Taps kx in [first, last) are inside the image.
                    let first = min(max(0, -ix0), kw), last = max(first, min(kw, g.inputWidth - ix0))
                    DataMovement.fill(dst, count: first * cig)
                    DataMovement.copy(rowBase + (ix0 + first) * cig, to: dst + first * cig, count: (last - first) * cig)
                    DataMovement.fill(dst + last * cig, count: (kw - last) * cig)
                    dst += kw * cig
                } else {
                    for kx in 0..<kw {
                        let ix = ix0 + kx * g.dilationW
                        if ix < 0 || ix >= g.inputWidth {
                            DataMovement.fill(dst, count: cig)
                        } else {
                            DataMovement.copy(rowBase + ix * g.inputChannels, to: dst, count: cig)
                        }
                        dst += cig
                    }
                }
            }
        }
    }
}
