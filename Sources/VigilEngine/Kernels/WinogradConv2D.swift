/// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) over channels-last
/// data: each 2×2 output tile comes from a 4×4 input tile with 16 multiplies per (input,
/// output) channel pair instead of 36, the multiplies being 16 GEMMs (one per tile position)
/// over a block of tiles: `V[ξ][tile][Cin] · U[ξ][Cin][Cout]`.
///
///     V = Bᵀ d B     (input tile d, 4×4 per input channel)
///     U = G g Gᵀ     (3×3 filter g, 4×4 per channel pair, packed once at plan time)
///     Y = Aᵀ M A     (M = V·U per position, 2×2 per output channel)
///
/// with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] and
/// Aᵀ = [1 1 1 0; 0 1 −1 −1]: additions only, apart from the halves in G, so the outputs differ
/// from a direct convolution's by rounding alone. Used for YOLO-style 3×3 layers with at least
/// 16 channels in and out (multiples of 8), where the GEMM keeps its rate; the direct kernel
/// covers everything else. A tile's values do not depend on which block it is computed in, so
/// a region run (tiles covering the region) writes exactly what a whole-map run does.
final class WinogradConv2DKernel: @unchecked Sendable {
    let g: ConvolutionGeometry
    let activation: Activation
    /// One packed `[Cin, Cout]` matrix per tile position ξ = 4·row + column.
    let transformedWeights: [PackedMatrix]
    let bias: UnsafeMutablePointer<Float>
    let threads: Int
    /// Tiles per block: the GEMMs' rows. `V` and `M` of one block (16 × tiles × (Cin + Cout)
    /// floats) stay within about 384 KB, so they are still in L2 when the output transform reads.
    let blockTiles: Int
    /// A position's block plus one cache line: at exact multiples of 4 KB (48 tiles × 64
    /// channels is 12 KB) the 16 positions of one tile fell into one L1 set, which holds 8 lines,
    /// and the transforms, reading or writing all 16, missed on every access.
    let vStride: Int, mStride: Int
    /// Scratch per thread: V `[16][blockTiles][Cin]` then M `[16][blockTiles][Cout]`, each
    /// position `vStride` / `mStride` floats after the previous.
    var scratchPerThread: Int { 16 * (vStride + mStride) }
    /// The scratch a whole-map run needs (`run(input:output:scratch:)`): the planner places it
    /// in the session's arena, live during this step only, so that forty such layers do not
    /// each hold their own (YOLOv8n's max RSS at two threads was 141 MiB that way, 107 without).
    var scratchCount: Int { threads * scratchPerThread }
    let tileRows: Int, tileColumns: Int

    /// 3×3, stride 1, no dilation, one group, channel counts multiples of 8 and at least 16,
    /// and a map of at least 4×4 outputs.
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.inputChannels % 8 == 0 && g.outputChannels % 8 == 0
            && g.inputChannels >= 16 && g.outputChannels >= 16 && g.outputHeight >= 4 && g.outputWidth >= 4
    }

    /// - weights: OIHW `[Cout, Cin, 3, 3]`; bias `[Cout]` (zeros when the model has none).
    init(geometry: ConvolutionGeometry, weights w: Tensor, bias: UnsafePointer<Float>, activation: Activation, threads: Int) {
        g = geometry
        self.activation = activation
        self.threads = max(1, threads)
        let cin = g.inputChannels, cout = g.outputChannels
        let values = w.floats
        // U = G g Gᵀ for every (ci, co), as 16 matrices of [ci][co].
        var u = [Float](repeating: 0, count: 16 * cin * cout)
        let gm: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for co in 0..<cout {
            for ci in 0..<cin {
                let f = (0..<9).map { values[(co * cin + ci) * 9 + $0] }
                for i in 0..<4 {
                    for j in 0..<4 {
                        var sum: Float = 0
                        for a in 0..<3 { for b in 0..<3 { sum += gm[i][a] * f[a * 3 + b] * gm[j][b] } }
                        u[((i * 4 + j) * cin + ci) * cout + co] = sum
                    }
                }
            }
        }
        transformedWeights = (0..<16).map { position in
            PackedMatrix(k: cin, n: cout) { row, column in u[(position * cin + row) * cout + column] }
        }
        self.bias = allocateAligned(count: cout)
        self.bias.initialize(from: bias, count: cout)
        blockTiles = max(12, min(96, 6144 / (cin + cout) / 12 * 12))
        vStride = blockTiles * cin + 16
        mStride = blockTiles * cout + 16
        tileRows = (g.outputHeight + 1) / 2
        tileColumns = (g.outputWidth + 1) / 2
    }

    deinit {
        bias.deallocate()
    }

    /// input: `[N, H, W, Cin]`; output: `[N, OH, OW, Cout]`; scratch: `scratchCount` floats.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let tiles = g.batch * tileRows * tileColumns
        let blocks = (tiles + blockTiles - 1) / blockTiles
        let work = tiles * 16 * g.inputChannels * g.outputChannels
        let chunks = work < minimumParallelWork ? 1 : max(1, min(threads, blocks))
        let region = TileRegion(rows: 0..<tileRows, columns: 0..<tileColumns, clip: FeatureRegion(rows: 0..<g.outputHeight, columns: 0..<g.outputWidth))
        parallelChunks(chunks, threads: chunks, BlocksJob(kernel: self, input: input, output: output, region: region, chunks: chunks, scratch: scratch))
    }

    /// Only the output pixels in `region` (clamped to the map), on the calling thread, with the
    /// same values a whole-map run writes there; the rest of `output` is left as it is. (It
    /// allocates its one thread's scratch.)
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, region: FeatureRegion) {
        let clip = region.clamped(height: g.outputHeight, width: g.outputWidth)
        guard !clip.rows.isEmpty, !clip.columns.isEmpty else { return }
        let tiles = TileRegion(rows: clip.rows.lowerBound / 2..<(clip.rows.upperBound + 1) / 2,
                               columns: clip.columns.lowerBound / 2..<(clip.columns.upperBound + 1) / 2, clip: clip)
        let scratch = allocateAligned(count: scratchPerThread)
        defer { scratch.deallocate() }
        runBlocks(chunk: 0, of: 1, input: input, output: output, region: tiles, scratch: scratch)
    }

    /// Tiles `rows` × `columns` of every image, writing only output pixels inside `clip`.
    struct TileRegion {
        let rows: Range<Int>, columns: Range<Int>
        let clip: FeatureRegion

        var tilesPerImage: Int { rows.count * columns.count }

        /// Tile `index` of the region, numbered image by image, row-major.
        @inline(__always)
        func tile(_ index: Int) -> (n: Int, ty: Int, tx: Int) {
            let n = index / tilesPerImage, within = index % tilesPerImage
            return (n, rows.lowerBound + within / columns.count, columns.lowerBound + within % columns.count)
        }
    }

    struct BlocksJob: ParallelJob {
        let kernel: WinogradConv2DKernel
        let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        let region: TileRegion
        let chunks: Int
        let scratch: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) {
            for chunk in range {
                let scratch = self.scratch + chunk * kernel.scratchPerThread
                kernel.runBlocks(chunk: chunk, of: chunks, input: input, output: output, region: region, scratch: scratch)
            }
        }
    }

    /// Chunk `chunk` of `chunks` of the region's tiles (numbered image by image, row-major), in
    /// blocks of `blockTiles`: input transform, 16 GEMMs, output transform.
    func runBlocks(chunk: Int, of chunks: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                   region: TileRegion, scratch: UnsafeMutablePointer<Float>) {
        let tiles = g.batch * region.tilesPerImage
        let blocks = (tiles + blockTiles - 1) / blockTiles
        let cin = g.inputChannels, cout = g.outputChannels
        let v = scratch, m = scratch + 16 * vStride
        var block = blocks * chunk / chunks
        while block < blocks * (chunk + 1) / chunks {
            let first = block * blockTiles, count = min(blockTiles, tiles - first)
            for t in 0..<count {
                let (n, ty, tx) = region.tile(first + t)
                transformInput(input, n: n, ty: ty, tx: tx, into: v + t * cin, positionStride: vStride)
            }
            for position in 0..<16 {
                GEMM.multiply(rows: 0..<count, a: v + position * vStride, lda: cin, b: transformedWeights[position],
                              bias: nil, c: m + position * mStride, ldc: cout, activation: .identity)
            }
            switch activation {
            case .identity: transformOutputs(first: first, count: count, m: m, region: region, output: output, IdentityEpilogue.self)
            case .relu: transformOutputs(first: first, count: count, m: m, region: region, output: output, ReluEpilogue.self)
            case .clip: transformOutputs(first: first, count: count, m: m, region: region, output: output, ClipEpilogue.self)
            case .silu: transformOutputs(first: first, count: count, m: m, region: region, output: output, SiluEpilogue.self)
            default: transformOutputs(first: first, count: count, m: m, region: region, output: output, GeneralEpilogue.self)
            }
            block += 1
        }
    }

    /// The output transform of tiles `first..<first + count` of the region, with the
    /// activation compiled in (one dispatch per block, not one call per vector).
    private func transformOutputs<E: KernelEpilogue>(first: Int, count: Int, m: UnsafePointer<Float>, region: TileRegion,
                                                     output: UnsafeMutablePointer<Float>, _: E.Type) {
        let (lo, hi) = activation.clipBounds
        for t in 0..<count {
            let (n, ty, tx) = region.tile(first + t)
            transformOutput(m + t * g.outputChannels, positionStride: mStride, n: n, ty: ty, tx: tx, clip: region.clip, output: output,
                            E.self, lo, hi)
        }
    }

    @inline(__always) private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    /// V = Bᵀ d B for tile (ty, tx) of image n, every input channel, 8 at a time; position ξ
    /// written at `v + ξ · positionStride`. Input outside the map (padding) reads as zero;
    /// tiles wholly inside take a path without the checks.
    @inline(__always)
    private func transformInput(_ input: UnsafePointer<Float>, n: Int, ty: Int, tx: Int, into v: UnsafeMutablePointer<Float>, positionStride: Int) {
        let cin = g.inputChannels, h = g.inputHeight, w = g.inputWidth
        let y0 = 2 * ty - g.padTop, x0 = 2 * tx - g.padLeft
        let origin = input + ((n * h + y0) * w + x0) * cin
        let rowStep = w * cin
        if y0 >= 0 && x0 >= 0 && y0 + 4 <= h && x0 + 4 <= w {
            var c = 0
            while c < cin {
                transformInputBlock(v + c, positionStride) { i, j in load(origin + i * rowStep + j * cin + c) }
                c += 8
            }
        } else {
            var c = 0
            while c < cin {
                transformInputBlock(v + c, positionStride) { i, j in
                    let y = y0 + i, x = x0 + j
                    return y >= 0 && y < h && x >= 0 && x < w ? load(origin + i * rowStep + j * cin + c) : SIMD8()
                }
                c += 8
            }
        }
    }

    /// One 8-channel block of the input transform, the tile's input vector (i, j) given by `d`.
    @inline(__always)
    private func transformInputBlock(_ v: UnsafeMutablePointer<Float>, _ positionStride: Int, _ d: (Int, Int) -> SIMD8<Float>) {
        // Bᵀ d: per column j, rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
        @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
            let d0 = d(0, j), d1 = d(1, j), d2 = d(2, j), d3 = d(3, j)
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
        // (Bᵀ d) B: per row i, the same combination of its four columns.
        @inline(__always) func row(_ i: Int, _ t0: SIMD8<Float>, _ t1: SIMD8<Float>, _ t2: SIMD8<Float>, _ t3: SIMD8<Float>) {
            let base = UnsafeMutableRawPointer(v + 4 * i * positionStride)
            let step = 4 * positionStride
            base.storeBytes(of: t0 - t2, as: SIMD8<Float>.self)
            base.storeBytes(of: t1 + t2, toByteOffset: step, as: SIMD8<Float>.self)
            base.storeBytes(of: t2 - t1, toByteOffset: 2 * step, as: SIMD8<Float>.self)
            base.storeBytes(of: t1 - t3, toByteOffset: 3 * step, as: SIMD8<Float>.self)
        }
        row(0, c0.0, c1.0, c2.0, c3.0)
        row(1, c0.1, c1.1, c2.1, c3.1)
        row(2, c0.2, c1.2, c2.2, c3.2)
        row(3, c0.3, c1.3, c2.3, c3.3)
    }

    /// Y = Aᵀ M A plus bias, activated, for tile (ty, tx) of image n, every output channel 8 at
    /// a time; only pixels inside the map and `clip` are written.
    @inline(__always)
    private func transformOutput<E: KernelEpilogue>(_ m: UnsafePointer<Float>, positionStride: Int, n: Int, ty: Int, tx: Int,
                                                    clip: FeatureRegion, output: UnsafeMutablePointer<Float>,
                                                    _: E.Type, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) {
        let cout = g.outputChannels, oh = g.outputHeight, ow = g.outputWidth
        let y = 2 * ty, x = 2 * tx
        let rows = clip.rows.clamped(to: y..<(y + 2)), columns = clip.columns.clamped(to: x..<(x + 2))
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let image = output + n * oh * ow * cout
        let full = rows.count == 2 && columns.count == 2
        var c = 0
        while c < cout {
            @inline(__always) func at(_ position: Int) -> SIMD8<Float> { load(m + position * positionStride + c) }
            // a = row 0 of Aᵀ times M, b = row 1, per column; then the same along the columns.
            let m00 = at(0), m01 = at(1), m02 = at(2), m03 = at(3)
            let m10 = at(4), m11 = at(5), m12 = at(6), m13 = at(7)
            let m20 = at(8), m21 = at(9), m22 = at(10), m23 = at(11)
            let m30 = at(12), m31 = at(13), m32 = at(14), m33 = at(15)
            let a0 = m00 + m10 + m20, a1 = m01 + m11 + m21, a2 = m02 + m12 + m22, a3 = m03 + m13 + m23
            let b0 = m10 - m20 - m30, b1 = m11 - m21 - m31, b2 = m12 - m22 - m32, b3 = m13 - m23 - m33
            let bias = load(self.bias + c)
            let y00 = E.apply(a0 + a1 + a2 + bias, lo, hi, activation), y01 = E.apply(a1 - a2 - a3 + bias, lo, hi, activation)
            let y10 = E.apply(b0 + b1 + b2 + bias, lo, hi, activation), y11 = E.apply(b1 - b2 - b3 + bias, lo, hi, activation)
            @inline(__always) func store(_ value: SIMD8<Float>, _ dy: Int, _ dx: Int) {
                UnsafeMutableRawPointer(image + ((y + dy) * ow + x + dx) * cout + c).storeBytes(of: value, as: SIMD8<Float>.self)
            }
            if full {
                store(y00, 0, 0); store(y01, 0, 1); store(y10, 1, 0); store(y11, 1, 1)
            } else {
                if rows.contains(y) && columns.contains(x) { store(y00, 0, 0) }
                if rows.contains(y) && columns.contains(x + 1) { store(y01, 0, 1) }
                if rows.contains(y + 1) && columns.contains(x) { store(y10, 1, 0) }
                if rows.contains(y + 1) && columns.contains(x + 1) { store(y11, 1, 1) }
            }
            c += 8
        }
    }
}
