#if canImport(Glibc)
import Glibc
#endif

/// A 1×1 stride-1 convolution whose weights are mostly exact zeros, computed from the nonzero
/// weights only. MediaPipe's pose and full-range face detectors ship their 1×1 weights in
/// TFLite's sparse format with 70–75% zeros; as a dense GEMM three multiply-adds in four add
/// nothing.
///
/// Channels-last data puts one pixel's input channels side by side, but a sparse row of
/// weights picks input channels at random, so the kernel works on tiles of `tilePixels`
/// output pixels transposed: the tile's input is packed channel-major (`[Cin][64]`, one
/// 64-pixel row per input channel), each output channel is then a sum of a few of those rows
/// scaled by its nonzero weights (eight 8-lane accumulators, one broadcast and eight loads per
/// nonzero), and each group of eight output channels is transposed back into the output with
/// the residual and the activation.
///
/// Every output element is its bias plus its nonzero terms in input-channel order, wherever it
/// falls in a tile, so a run over any sub-range of pixels writes the same values as a whole run.
final class SparsePointwiseKernel: @unchecked Sendable {
    /// Output pixels per tile: eight vectors of 8.
    static let tilePixels = 64
    /// A 1×1 convolution takes this path when at most this fraction of its weights is nonzero.
    /// (See BENCHMARKS.md, "Sparse 1×1 convolutions", for the measurement behind it.)
    static let maximumDensity = 0.5
    /// `VIGIL_SPARSE=0` runs every 1×1 convolution dense, for comparing the two in one build.
    static let disabled = getenv("VIGIL_SPARSE").map { String(cString: $0) == "0" } ?? false

    let inputChannels: Int
    let outputChannels: Int
    let activation: Activation
    let threads: Int
    /// At most this many input channels per pass over the output channels, so that the packed
    /// rows a pass reads (192 × 64 floats, 48 KB) stay in L1 and L2's nearest part. Sums carry
    /// over between passes in a `[Cout][64]` buffer. Pose detector at one thread, by lowest
    /// median of two: 32 channels 8.74 ms, 64 7.82, 96 7.73, 128 7.27, 192 7.17, 256 7.27, all
    /// in one pass 8.15; dense 9.67.
    static let maximumBlockChannels = 192
    /// Fewest output and input channels for the sparse path. A tile costs a transpose of its
    /// `Cin` input rows in and of its `Cout` output rows out whatever the density, which few
    /// channels do not repay: per step, one thread, sparse against dense, 56×56 144→24 0.23 →
    /// 0.34 ms, 112×112 24→16 0.11 → 0.15, 96×96 8→32 0.07 → 0.11, 48×48 16→64 0.051 → 0.061,
    /// while 56×56 24→144 went 0.27 → 0.25 and 28×28 144→40 0.096 → 0.069 (BENCHMARKS.md,
    /// "Sparse 1×1 convolutions").
    static let minimumOutputChannels = 32
    static let minimumInputChannels = 24
    /// Passes over the input channels, and channels per pass (the last may have fewer).
    let blocks: Int
    let blockChannels: Int
    /// Output channel `co`'s nonzero weights in input channels `b·blockChannels..<(b + 1)·blockChannels`
    /// are entries `first[b·Cout + co]..<first[b·Cout + co + 1]`.
    private let first: UnsafeMutablePointer<Int>
    /// Each entry's input channel as the byte offset of its row in a packed tile.
    private let offsets: UnsafeMutablePointer<Int>
    private let values: UnsafeMutablePointer<Float>
    private let bias: UnsafeMutablePointer<Float>
    let nonzeros: Int
    /// Per chunk: the packed input tile, an 8 × 64 block of results, and with more than one
    /// block of input channels the `[Cout][64]` sums carried between blocks.
    private let scratch: UnsafeMutablePointer<Float>
    private var scratchPerChunk: Int { (inputChannels + 8 + (blocks > 1 ? outputChannels : 0)) * Self.tilePixels }

    /// Whether a 1×1 layer of these channel counts is worth trying on the sparse path at all.
    static func suits(inputChannels: Int, outputChannels: Int) -> Bool {
        inputChannels >= minimumInputChannels && outputChannels >= minimumOutputChannels
    }

    /// Fraction of `weights` (`[Cout][Cin]`, a 1×1 convolution's OIHW) that is nonzero.
    static func density(_ weights: [Float]) -> Double {
        weights.isEmpty ? 1 : Double(weights.lazy.filter { $0 != 0 }.count) / Double(weights.count)
    }

    /// Whether `init` builds the sparse form of these weights (`[Cout][Cin]`): the path is on,
    /// and at most `maximumDensity` of them is nonzero.
    static func applies(inputChannels: Int, outputChannels: Int, weights: [Float]) -> Bool {
        !disabled && weights.count == inputChannels * outputChannels && inputChannels > 0 && outputChannels > 0
            && density(weights) <= maximumDensity
    }

    /// - weights: `[Cout][Cin]` (OIHW of a 1×1 convolution); bias `[Cout]`.
    /// - Returns: nil when more than `maximumDensity` of the weights is nonzero, or the path is disabled.
    init?(inputChannels: Int, outputChannels: Int, weights: [Float], bias: UnsafePointer<Float>, activation: Activation, threads: Int) {
        guard Self.applies(inputChannels: inputChannels, outputChannels: outputChannels, weights: weights) else { return nil }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.activation = activation
        self.threads = max(1, threads)
        nonzeros = weights.lazy.filter { $0 != 0 }.count
        blocks = (inputChannels + Self.maximumBlockChannels - 1) / Self.maximumBlockChannels
        blockChannels = (inputChannels + blocks - 1) / blocks
        first = .allocate(capacity: blocks * outputChannels + 1)
        offsets = .allocate(capacity: max(1, nonzeros))
        values = allocateAligned(count: max(1, nonzeros))
        var entry = 0
        for block in 0..<blocks {
            for co in 0..<outputChannels {
                first[block * outputChannels + co] = entry
                for ci in (block * blockChannels)..<min(inputChannels, (block + 1) * blockChannels)
                where weights[co * inputChannels + ci] != 0 {
                    offsets[entry] = ci * Self.tilePixels * MemoryLayout<Float>.stride
                    values[entry] = weights[co * inputChannels + ci]
                    entry += 1
                }
            }
        }
        first[blocks * outputChannels] = entry
        self.bias = allocateAligned(count: outputChannels)
        self.bias.update(from: bias, count: outputChannels)
        let scratchCount = self.threads * (inputChannels + 8 + (blocks > 1 ? outputChannels : 0)) * Self.tilePixels
        scratch = allocateAligned(count: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
    }

    deinit {
        first.deallocate(); offsets.deallocate(); values.deallocate(); bias.deallocate(); scratch.deallocate()
    }

    /// input `[P, Cin]`, output `[P, Cout]` (P pixels in NHWC order), across the threads.
    /// - residual: optional, added to the first channels before the activation, as in `GEMM`.
    func run(pixels: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: Residual?) {
        let tiles = (pixels + Self.tilePixels - 1) / Self.tilePixels
        let groups = (outputChannels + 7) / 8
        let work = nonzeros * pixels
        if threads > 1 && work >= minimumParallelWork && tiles < threads && groups >= 2 * threads {
            // Fewer tiles than threads (a 7×7 map): each thread takes a share of the output
            // channels over every tile, and packs the tiles for itself. With as many tiles as
            // threads or more, shares of the pixels: a thread then reads the rows it wrote in
            // the step before and writes the rows it reads in the next, where a channel split
            // moved half of both between the cores (full-range face detector at two threads,
            // 12×12 layers of 3 tiles split by pixels, not channels: 1.504 → 1.466 ms, the
            // lowest of 14 alternating round medians; faster in 12 of the 14 rounds).
            let chunks = threads
            parallelChunks(chunks, threads: chunks, Job(kernel: self, pixels: 0..<pixels, input: input, output: output,
                                                        residual: residual, chunks: chunks, splitsChannels: true))
            return
        }
        let chunks = work < minimumParallelWork ? 1 : max(1, min(threads, tiles))
        parallelChunks(chunks, threads: chunks, Job(kernel: self, pixels: 0..<pixels, input: input, output: output,
                                                    residual: residual, chunks: chunks, splitsChannels: false))
    }

    /// Output pixels `pixels` only, on the calling thread, with the values a whole run writes there.
    func run(pixels: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: Residual?) {
        Job(kernel: self, pixels: pixels, input: input, output: output, residual: residual, chunks: 1, splitsChannels: false).run(0..<1)
    }

    /// Chunks `range` of `chunks`: shares of the tiles, or of the groups of eight output channels.
    struct Job: ParallelJob {
        let kernel: SparsePointwiseKernel
        let pixels: Range<Int>
        let input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        let residual: Residual?
        let chunks: Int
        let splitsChannels: Bool
        func run(_ range: Range<Int>) {
            switch kernel.activation {
            case .identity: run(range, IdentityEpilogue.self)
            case .relu: run(range, ReluEpilogue.self)
            case .clip: run(range, ClipEpilogue.self)
            default: run(range, GeneralEpilogue.self)
            }
        }

        /// Chunk `chunk`'s pixels: `chunks` nearly equal parts of `pixels`, cut on multiples of 8.
        func chunkPixels(_ chunk: Int) -> Range<Int> {
            func cut(_ c: Int) -> Int { c == chunks ? pixels.count : (pixels.count * c / chunks) & ~7 }
            return (pixels.lowerBound + cut(chunk))..<(pixels.lowerBound + cut(chunk + 1))
        }

        func run<E: KernelEpilogue>(_ range: Range<Int>, _: E.Type) {
            let tile = SparsePointwiseKernel.tilePixels
            let groups = (kernel.outputChannels + 7) / 8
            for chunk in range {
                let scratch = kernel.scratch + chunk * kernel.scratchPerChunk
                let groupRange = splitsChannels ? (groups * chunk / chunks)..<(groups * (chunk + 1) / chunks) : 0..<groups
                // A share of the pixels, not of the tiles, each cut on a multiple of 8 and
                // tiled from its own start: 14×14 = 196 pixels as whole tiles split 128 / 68
                // between two threads, as pixels 96 / 100. Every element is computed the same
                // way in any tile, so where the cuts fall changes no value.
                let share = splitsChannels ? pixels : chunkPixels(chunk)
                var start = share.lowerBound
                while start < share.upperBound {
                    kernel.runTile(first: start, count: min(tile, share.upperBound - start), groups: groupRange, scratch: scratch,
                                   input: input, output: output, residual: residual, E.self)
                    start += tile
                }
            }
        }
    }

    /// Output pixels `first..<first + count` (count ≤ 64), output channels `8·groups`.
    @inline(__always)
    func runTile<E: KernelEpilogue>(first pixel: Int, count: Int, groups: Range<Int>, scratch: UnsafeMutablePointer<Float>,
                                    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: Residual?, _: E.Type) {
        guard !groups.isEmpty else { return }
        let tile = Self.tilePixels
        let packed = scratch, block = scratch + inputChannels * tile, sums = block + 8 * tile
        pack(input + pixel * inputChannels, count: count, into: packed)
        let vectors = (count + 7) / 8
        for inputBlock in 0..<blocks {
            let isLast = inputBlock == blocks - 1
            for group in groups {
                let channel = group * 8
                let channels = min(8, outputChannels - channel)
                for i in 0..<channels {
                    let co = channel + i
                    let segment = inputBlock * outputChannels + co
                    let out = isLast ? block + i * tile : sums + co * tile
                    let carried: UnsafePointer<Float>? = inputBlock == 0 ? nil : UnsafePointer(sums + co * tile)
                    switch vectors {
                    case 8: accumulate(segment, co, carried, packed, out, Vectors8.self)
                    case 7: accumulate(segment, co, carried, packed, out, Vectors7.self)
                    case 6: accumulate(segment, co, carried, packed, out, Vectors6.self)
                    case 5: accumulate(segment, co, carried, packed, out, Vectors5.self)
                    case 4: accumulate(segment, co, carried, packed, out, Vectors4.self)
                    case 3: accumulate(segment, co, carried, packed, out, Vectors3.self)
                    case 2: accumulate(segment, co, carried, packed, out, Vectors2.self)
                    default: accumulate(segment, co, carried, packed, out, Vectors1.self)
                    }
                }
                if isLast {
                    store(block, firstPixel: pixel, count: count, channel: channel, channels: channels, output: output, residual: residual, E.self)
                }
            }
        }
    }

    /// Entries `segment` (one output channel `co`, one block of input channels) over the
    /// packed tile's first `V.count` vectors of pixels, into `out`, starting from `carried`
    /// (the sums of the blocks before) or, for the first block, from the bias.
    @inline(__always)
    func accumulate<V: VectorCount>(_ segment: Int, _ co: Int, _ carried: UnsafePointer<Float>?, _ packed: UnsafePointer<Float>,
                                    _ out: UnsafeMutablePointer<Float>, _: V.Type) {
        let b = SIMD8<Float>(repeating: bias[co])
        var a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b
        if let carried {
            let c = UnsafeRawPointer(carried)
            a0 = c.loadUnaligned(as: SIMD8<Float>.self)
            if V.count > 1 { a1 = c.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) }
            if V.count > 2 { a2 = c.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) }
            if V.count > 3 { a3 = c.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self) }
            if V.count > 4 { a4 = c.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self) }
            if V.count > 5 { a5 = c.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self) }
            if V.count > 6 { a6 = c.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self) }
            if V.count > 7 { a7 = c.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self) }
        }
        let base = UnsafeRawPointer(packed)
        var entry = first[segment]
        let end = first[segment + 1]
        while entry < end {
            let w = SIMD8<Float>(repeating: values[entry])
            let row = base + offsets[entry]
            a0.addProduct(w, row.loadUnaligned(as: SIMD8<Float>.self))
            if V.count > 1 { a1.addProduct(w, row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)) }
            if V.count > 2 { a2.addProduct(w, row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)) }
            if V.count > 3 { a3.addProduct(w, row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)) }
            if V.count > 4 { a4.addProduct(w, row.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self)) }
            if V.count > 5 { a5.addProduct(w, row.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self)) }
            if V.count > 6 { a6.addProduct(w, row.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self)) }
            if V.count > 7 { a7.addProduct(w, row.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self)) }
            entry += 1
        }
        let o = UnsafeMutableRawPointer(out)
        o.storeBytes(of: a0, as: SIMD8<Float>.self)
        if V.count > 1 { o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self) }
        if V.count > 2 { o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self) }
        if V.count > 3 { o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self) }
        if V.count > 4 { o.storeBytes(of: a4, toByteOffset: 128, as: SIMD8<Float>.self) }
        if V.count > 5 { o.storeBytes(of: a5, toByteOffset: 160, as: SIMD8<Float>.self) }
        if V.count > 6 { o.storeBytes(of: a6, toByteOffset: 192, as: SIMD8<Float>.self) }
        if V.count > 7 { o.storeBytes(of: a7, toByteOffset: 224, as: SIMD8<Float>.self) }
    }

    /// Packs `count` pixels of `[count, Cin]` channel-major into `[Cin][64]`, zero past
    /// `count` up to the next multiple of 8 (lanes that are computed but never stored).
    @inline(__always)
    func pack(_ source: UnsafePointer<Float>, count: Int, into packed: UnsafeMutablePointer<Float>) {
        let tile = Self.tilePixels
        let fullChannels = inputChannels & ~7
        var j = 0
        while j + 8 <= count {
            var ci = 0
            while ci < fullChannels {
                let rows = source + j * inputChannels + ci
                let t = Self.transpose(Self.load8(rows, stride: inputChannels))
                let to = UnsafeMutableRawPointer(packed + ci * tile + j)
                let step = tile * MemoryLayout<Float>.stride
                to.storeBytes(of: t.0, as: SIMD8<Float>.self)
                to.storeBytes(of: t.1, toByteOffset: step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.2, toByteOffset: 2 * step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.3, toByteOffset: 3 * step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.4, toByteOffset: 4 * step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.5, toByteOffset: 5 * step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.6, toByteOffset: 6 * step, as: SIMD8<Float>.self)
                to.storeBytes(of: t.7, toByteOffset: 7 * step, as: SIMD8<Float>.self)
                ci += 8
            }
            for ci in fullChannels..<inputChannels {
                for p in j..<(j + 8) { packed[ci * tile + p] = source[p * inputChannels + ci] }
            }
            j += 8
        }
        if j < count {
            for ci in 0..<inputChannels {
                for p in j..<(j + 8) { packed[ci * tile + p] = p < count ? source[p * inputChannels + ci] : 0 }
            }
        }
    }

    /// Writes `channels` (≤ 8) rows of `block` (`[8][64]`, channel-major) to output pixels
    /// `firstPixel..<firstPixel + count`, channels `channel..<channel + channels`, adding the
    /// residual and applying the activation.
    @inline(__always)
    func store<E: KernelEpilogue>(_ block: UnsafePointer<Float>, firstPixel: Int, count: Int, channel: Int, channels: Int,
                                  output: UnsafeMutablePointer<Float>, residual: Residual?, _: E.Type) {
        let (lo, hi) = activation.clipBounds
        let tile = Self.tilePixels
        let residualChannels = residual.map { max(0, min(channels, $0.channels - channel)) } ?? 0
        var j = 0
        if channels == 8 && (residual == nil || residualChannels == 8) {
            while j + 8 <= count {
                let t = Self.transpose(Self.load8(block + j, stride: tile))
                storeRow(t.0, j + 0, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.1, j + 1, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.2, j + 2, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.3, j + 3, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.4, j + 4, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.5, j + 5, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.6, j + 6, firstPixel, channel, output, residual, lo, hi, E.self)
                storeRow(t.7, j + 7, firstPixel, channel, output, residual, lo, hi, E.self)
                j += 8
            }
        }
        // Partial groups and the tile's last pixels, one value at a time.
        while j < count {
            let pixel = firstPixel + j
            for i in 0..<channels {
                var v = block[i * tile + j]
                if i < residualChannels, let residual { v += residual.pointer[pixel * residual.stride + channel + i] }
                output[pixel * outputChannels + channel + i] = E.apply(SIMD8(repeating: v), lo, hi, activation)[0]
            }
            j += 1
        }
    }

    @inline(__always)
    private func storeRow<E: KernelEpilogue>(_ v: SIMD8<Float>, _ j: Int, _ firstPixel: Int, _ channel: Int,
                                             _ output: UnsafeMutablePointer<Float>, _ residual: Residual?,
                                             _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _: E.Type) {
        var sum = v
        let pixel = firstPixel + j
        if let residual {
            sum += UnsafeRawPointer(residual.pointer + pixel * residual.stride + channel).loadUnaligned(as: SIMD8<Float>.self)
        }
        UnsafeMutableRawPointer(output + pixel * outputChannels + channel).storeBytes(of: E.apply(sum, lo, hi, activation), as: SIMD8<Float>.self)
    }

    typealias Eight = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

    /// Eight vectors at `p`, `p + stride`, …
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>, stride: Int) -> Eight {
        let r = UnsafeRawPointer(p), s = stride * MemoryLayout<Float>.stride
        return (r.loadUnaligned(as: SIMD8<Float>.self), r.loadUnaligned(fromByteOffset: s, as: SIMD8<Float>.self),
                r.loadUnaligned(fromByteOffset: 2 * s, as: SIMD8<Float>.self), r.loadUnaligned(fromByteOffset: 3 * s, as: SIMD8<Float>.self),
                r.loadUnaligned(fromByteOffset: 4 * s, as: SIMD8<Float>.self), r.loadUnaligned(fromByteOffset: 5 * s, as: SIMD8<Float>.self),
                r.loadUnaligned(fromByteOffset: 6 * s, as: SIMD8<Float>.self), r.loadUnaligned(fromByteOffset: 7 * s, as: SIMD8<Float>.self))
    }

    /// The 8 × 8 transpose: lane j of result i is lane i of input j. Written as lane shuffles
    /// of two vectors at a time, which LLVM lowers to unpack, shuffle and lane-permute
    /// instructions (the usual three stages of an AVX 8 × 8 transpose).
    @inline(__always)
    static func transpose(_ m: Eight) -> Eight {
        // Stage 1: interleave pairs of rows.
        let t0 = unpackLo(m.0, m.1), t1 = unpackHi(m.0, m.1)
        let t2 = unpackLo(m.2, m.3), t3 = unpackHi(m.2, m.3)
        let t4 = unpackLo(m.4, m.5), t5 = unpackHi(m.4, m.5)
        let t6 = unpackLo(m.6, m.7), t7 = unpackHi(m.6, m.7)
        // Stage 2: pairs of pairs.
        let u0 = shuffleLo(t0, t2), u1 = shuffleHi(t0, t2)
        let u2 = shuffleLo(t1, t3), u3 = shuffleHi(t1, t3)
        let u4 = shuffleLo(t4, t6), u5 = shuffleHi(t4, t6)
        let u6 = shuffleLo(t5, t7), u7 = shuffleHi(t5, t7)
        // Stage 3: 128-bit halves.
        return (SIMD8(lowHalf: u0.lowHalf, highHalf: u4.lowHalf), SIMD8(lowHalf: u1.lowHalf, highHalf: u5.lowHalf),
                SIMD8(lowHalf: u2.lowHalf, highHalf: u6.lowHalf), SIMD8(lowHalf: u3.lowHalf, highHalf: u7.lowHalf),
                SIMD8(lowHalf: u0.highHalf, highHalf: u4.highHalf), SIMD8(lowHalf: u1.highHalf, highHalf: u5.highHalf),
                SIMD8(lowHalf: u2.highHalf, highHalf: u6.highHalf), SIMD8(lowHalf: u3.highHalf, highHalf: u7.highHalf))
    }

    /// unpcklps: a0 b0 a1 b1 | a4 b4 a5 b5
    @inline(__always)
    static func unpackLo(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    /// unpckhps: a2 b2 a3 b3 | a6 b6 a7 b7
    @inline(__always)
    static func unpackHi(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    /// shufps 0x44: a0 a1 b0 b1 | a4 a5 b4 b5
    @inline(__always)
    static func shuffleLo(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    /// shufps 0xEE: a2 a3 b2 b3 | a6 a7 b6 b7
    @inline(__always)
    static func shuffleHi(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
}

/// Vectors of 8 pixels a sparse tile's accumulation covers, fixed at compile time.
protocol VectorCount { static var count: Int { get } }
enum Vectors1: VectorCount { static var count: Int { 1 } }
enum Vectors2: VectorCount { static var count: Int { 2 } }
enum Vectors3: VectorCount { static var count: Int { 3 } }
enum Vectors4: VectorCount { static var count: Int { 4 } }
enum Vectors5: VectorCount { static var count: Int { 5 } }
enum Vectors6: VectorCount { static var count: Int { 6 } }
enum Vectors7: VectorCount { static var count: Int { 7 } }
enum Vectors8: VectorCount { static var count: Int { 8 } }
