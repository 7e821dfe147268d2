/// Max and average pooling over channels-last data, vectorised over channels.
final class Pool2DKernel: RowPartitionedKernel, @unchecked Sendable {
    let n: Int, h: Int, w: Int, c: Int, oh: Int, ow: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    let isMax: Bool, countIncludePad: Bool
    let threads: Int

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
            for ox in columns {
                let x0 = ox * self.sw - self.padLeft
                let out = output + ((b * self.oh + oy) * self.ow + ox) * self.c
                out.update(repeating: self.isMax ? -.infinity : 0, count: self.c)
                var count = 0
                // Pads as large as the kernel leave windows wholly outside the input: empty ranges.
                let (yStart, xStart) = (max(y0, 0), max(x0, 0))
                for iy in yStart..<max(yStart, min(y0 + self.kh, self.h)) {
                    for ix in xStart..<max(xStart, min(x0 + self.kw, self.w)) {
                        let x = input + ((b * self.h + iy) * self.w + ix) * self.c
                        if self.isMax { for ch in 0..<self.c { out[ch] = max(out[ch], x[ch]) } }
                        else { for ch in 0..<self.c { out[ch] += x[ch] } }
                        count += 1
                    }
                }
                if !self.isMax {
                    let divisor = self.countIncludePad
                        ? (min(y0 + self.kh, self.h + self.padBottom) - y0) * (min(x0 + self.kw, self.w + self.padRight) - x0)
                        : count
                    let scale = 1 / Float(max(divisor, 1))
                    for ch in 0..<self.c { out[ch] *= scale }
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
