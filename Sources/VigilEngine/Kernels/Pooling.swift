/// Max and average pooling over channels-last data, vectorised over channels.
final class Pool2DKernel: RowPartitionedKernel, @unchecked Sendable {
    let n: Int, h: Int, w: Int, c: Int, oh: Int, ow: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    let isMax: Bool, countIncludePad: Bool
    let threads: Int
    /// Channels done 8 at a time: blocks start at 0, 8, …, and when C is not a multiple of 8
    /// (but at least 8) a last one at C − 8 overlaps its neighbour (the overlapping channels
    /// are computed twice, identically); below 8 channels, none.
    var blockEnd: Int { c >= 8 ? c : 0 }

    init(inputNHWC s: [Int], outputNHWC o: [Int], _ a: Pool2DAttributes, isMax: Bool, threads: Int) {
        (n, h, w, c) = (s[0], s[1], s[2], s[3])
        (oh, ow) = (o[1], o[2])
        (kh, kw, sh, sw) = (a.kernel.h, a.kernel.w, a.strides.h, a.strides.w)
        (padTop, padBottom) = a.padding.resolve(axis: 0, inputSize: h, kernel: kh, stride: sh, dilation: 1)
        (padLeft, padRight) = a.padding.resolve(axis: 1, inputSize: w, kernel: kw, stride: sw, dilation: 1)
        self.isMax = isMax
        countIncludePad = a.countIncludePad
        self.threads = max(1, threads)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        parallelChunks(n * oh, threads: threads, work: n * oh * ow * c * kh * kw, RowsJob(kernel: self, input: input, output: output))
    }

    func run(rows range: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        run(rows: range, columns: 0..<ow, input: input, output: output)
    }

    /// Only the output pixels in `region` (clamped to the map), on the calling thread, with the
    /// same values a whole-map run writes there; the rest of `output` is left as it is.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, region: FeatureRegion) {
        let region = region.clamped(height: oh, width: ow)
        guard !region.columns.isEmpty else { return }
        for b in 0..<n { run(rows: (b * oh + region.rows.lowerBound)..<(b * oh + region.rows.upperBound), columns: region.columns, input: input, output: output) }
    }

    func run(rows range: Range<Int>, columns: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for row in range {
            let b = row / self.oh, oy = row % self.oh
            let y0 = oy * self.sh - self.padTop
            // Pads as large as the kernel leave windows wholly outside the input: empty ranges.
            let yStart = max(y0, 0)
            let ys = yStart..<max(yStart, min(y0 + self.kh, self.h))
            let window = input + (b * self.h) * self.w * self.c
            for ox in columns {
                let x0 = ox * self.sw - self.padLeft
                let xStart = max(x0, 0)
                let xs = xStart..<max(xStart, min(x0 + self.kw, self.w))
                let out = output + ((b * self.oh + oy) * self.ow + ox) * self.c
                let scale: Float
                if self.isMax {
                    scale = 1
                } else {
                    let divisor = self.countIncludePad
                        ? (min(y0 + self.kh, self.h + self.padBottom) - y0) * (min(x0 + self.kw, self.w + self.padRight) - x0)
                        : ys.count * xs.count
                    scale = 1 / Float(max(divisor, 1))
                }
                // Eight channels at a time in a register over the whole window (the same
                // comparisons and sums in the same order as one channel at a time through
                // memory, which ran the palm detector's 96×96×32 max-pool at 24 GB/s and
                // selfie's squeeze-excite average pools lane by lane); one at a time below 8.
                var ch = 0
                if self.isMax && ys.count == 2 && xs.count == 2 {
                    // A whole 2×2 window (BlazeFace's and the palm detector's skip branches):
                    // its four taps by pointer, in the loop's order.
                    let p0 = window + (ys.lowerBound * self.w + xs.lowerBound) * self.c, p2 = p0 + self.w * self.c
                    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
                    while ch < self.blockEnd {
                        if ch + 8 > self.c { ch = self.c - 8 }
                        var acc = SIMD8<Float>(repeating: -.infinity)
                        @inline(__always) func take(_ v: SIMD8<Float>) { acc = acc.replacing(with: v, where: v .>= acc) }
                        take(load(p0 + ch)); take(load(p0 + self.c + ch)); take(load(p2 + ch)); take(load(p2 + self.c + ch))
                        UnsafeMutableRawPointer(out + ch).storeBytes(of: acc, as: SIMD8<Float>.self)
                        ch += 8
                    }
                }
                while ch < self.blockEnd {
                    if ch + 8 > self.c { ch = self.c - 8 }
                    var acc = SIMD8<Float>(repeating: self.isMax ? -.infinity : 0)
                    for iy in ys {
                        for ix in xs {
                            let v = UnsafeRawPointer(window + ((iy * self.w + ix) * self.c + ch)).loadUnaligned(as: SIMD8<Float>.self)
                            acc = self.isMax ? acc.replacing(with: v, where: v .>= acc) : acc + v
                        }
                    }
                    UnsafeMutableRawPointer(out + ch).storeBytes(of: self.isMax ? acc : acc * scale, as: SIMD8<Float>.self)
                    ch += 8
                }
                while ch < self.c {
                    var acc: Float = self.isMax ? -.infinity : 0
                    for iy in ys {
                        for ix in xs {
                            let v = window[(iy * self.w + ix) * self.c + ch]
                            acc = self.isMax ? (v >= acc ? v : acc) : acc + v
                        }
                    }
                    out[ch] = self.isMax ? acc : acc * scale
                    ch += 1
                }
            }
        }
    }
}

/// Mean over H and W of channels-last data: `[N, H, W, C]` → `[N, 1, 1, C]`.
struct GlobalAveragePoolKernel {
    let n: Int, spatial: Int, c: Int

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(spatial)
        for b in 0..<n {
            let out = output + b * c
            out.update(repeating: 0, count: c)
            for p in 0..<spatial { Vector.addScaled(out, input + (b * spatial + p) * c, 1, count: c) }
            for ch in 0..<c { out[ch] *= scale }
        }
    }
}
