/// Nearest and bilinear resize of channels-last data; source coordinates and weights are
/// precomputed per output row and column at plan time.
final class ResizeKernel: RowPartitionedKernel, @unchecked Sendable {
    let n: Int, h: Int, w: Int, c: Int, oh: Int, ow: Int
    let mode: ResizeAttributes.Mode
    /// Per output row/column: first source index, second source index, weight of the second.
    let rows: [(Int, Int, Float)]
    let columns: [(Int, Int, Float)]
    let threads: Int

    init(inputNHWC s: [Int], outputNHWC o: [Int], scaleH: Float, scaleW: Float, _ a: ResizeAttributes, threads: Int) {
        (n, h, w, c) = (s[0], s[1], s[2], s[3])
        (oh, ow) = (o[1], o[2])
        mode = a.mode
        self.threads = max(1, threads)
        func axis(_ out: Int, _ inSize: Int, _ outSize: Int, _ scale: Float) -> (Int, Int, Float) {
            let coordinate = ReferenceResize.sourceCoordinate(out, scale: scale, inSize: inSize, outSize: outSize, a.coordinateTransform)
            if a.mode == .nearest {
                let i = ReferenceResize.nearestIndex(coordinate, inSize: inSize, a.nearestRounding)
                return (i, i, 0)
            }
            let clamped = min(max(coordinate, 0), Float(inSize - 1))
            let i0 = Int(clamped.rounded(.down))
            return (i0, min(i0 + 1, inSize - 1), clamped - Float(i0))
        }
        rows = (0..<o[1]).map { axis($0, s[1], o[1], scaleH) }
        columns = (0..<o[2]).map { axis($0, s[2], o[2], scaleW) }
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        parallelChunks(n * oh, threads: threads, work: n * oh * ow * c * 4, RowsJob(kernel: self, input: input, output: output))
    }

    func run(rows range: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for row in range {
            let b = row / self.oh, oy = row % self.oh
            let (y0, y1, fy) = self.rows[oy]
            for ox in 0..<self.ow {
                let (x0, x1, fx) = self.columns[ox]
                let out = output + ((b * self.oh + oy) * self.ow + ox) * self.c
                let p00 = input + ((b * self.h + y0) * self.w + x0) * self.c
                if self.mode == .nearest {
                    out.update(from: p00, count: self.c)
                    continue
                }
                let p01 = input + ((b * self.h + y0) * self.w + x1) * self.c
                let p10 = input + ((b * self.h + y1) * self.w + x0) * self.c
                let p11 = input + ((b * self.h + y1) * self.w + x1) * self.c
                // Eight channels at a time (the same operations in the same order as one at a
                // time, so the same values): the scalar loop was not vectorised, and the
                // full-range face detector's 48×48×48 upsampling took 7 µs.
                var ch = 0
                let (gx, gy) = (SIMD8<Float>(repeating: 1 - fx), SIMD8<Float>(repeating: 1 - fy))
                let (vx, vy) = (SIMD8<Float>(repeating: fx), SIMD8<Float>(repeating: fy))
                @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
                while ch + 8 <= self.c {
                    let top = load(p00 + ch) * gx + load(p01 + ch) * vx
                    let bottom = load(p10 + ch) * gx + load(p11 + ch) * vx
                    UnsafeMutableRawPointer(out + ch).storeBytes(of: top * gy + bottom * vy, as: SIMD8<Float>.self)
                    ch += 8
                }
                while ch < self.c {
                    let top = p00[ch] * (1 - fx) + p01[ch] * fx
                    let bottom = p10[ch] * (1 - fx) + p11[ch] * fx
                    out[ch] = top * (1 - fy) + bottom * fy
                    ch += 1
                }
            }
        }
    }
}
