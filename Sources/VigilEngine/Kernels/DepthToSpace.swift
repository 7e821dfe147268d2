/// DepthToSpace (pixel shuffle) on channels-last data: each input pixel's channel vector
/// becomes a `block`×`block` patch of output pixels.
///
/// In DCR order (TFLite, and ONNX's default) the C/b² channels of one output pixel are
/// contiguous in the input, so every output pixel is one short copy; CRD order interleaves
/// them with stride b², a strided gather.
struct DepthToSpaceKernel: RowPartitionedKernel, Sendable {
    let n: Int, h: Int, w: Int, c: Int
    let block: Int
    let columnRowDepth: Bool
    let threads: Int

    /// input: `[N, H, W, C]`, C divisible by `block`².
    init(inputNHWC s: [Int], block: Int, columnRowDepth: Bool, threads: Int) {
        (n, h, w, c) = (s[0], s[1], s[2], s[3])
        self.block = block
        self.columnRowDepth = columnRowDepth
        self.threads = threads
    }

    /// output: `[N, H·b, W·b, C/b²]`.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        // One input row (all its pixels) fills b output rows.
        parallelChunks(n * h, threads: threads, minimumChunk: 4, work: n * h * w * c, RowsJob(kernel: self, input: input, output: output))
    }

    /// `count` runs of `length` floats, `stride` apart in the source, packed in the destination.
    @inline(__always)
    func copyRuns(from source: UnsafePointer<Float>, stride: Int, to destination: UnsafeMutablePointer<Float>, length: Int, count: Int) {
        @inline(__always) func runs<V: SIMD>(_: V.Type) where V.Scalar == Float {
            for i in 0..<count {
                UnsafeMutableRawPointer(destination + i * V.scalarCount)
                    .storeBytes(of: UnsafeRawPointer(source + i * stride).loadUnaligned(as: V.self), as: V.self)
            }
        }
        switch length {
        case 2: runs(SIMD2<Float>.self)
        case 4: runs(SIMD4<Float>.self)
        case 8: runs(SIMD8<Float>.self)
        default: for i in 0..<count { DataMovement.copy(source + i * stride, to: destination + i * length, count: length) }
        }
    }

    /// Input rows `rows`.
    func run(rows: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let b = block, oc = c / (b * b), ow = w * b
        for row in rows {
            let src = input + row * w * c
            let dstRow = output + row * b * ow * oc
            for by in 0..<b {
                let dst = dstRow + by * ow * oc
                if !columnRowDepth {
                    // The b·oc channels from (by, 0) on are the output pixels (x·b ..< x·b + b)
                    // of this row, contiguous in both: one run per input pixel. The face
                    // detector's head has runs of 2 floats (b = 2, one channel out), which as
                    // single-float copies took 15 µs for a 24×24×4 map.
                    copyRuns(from: src + by * b * oc, stride: c, to: dst, length: b * oc, count: w)
                    continue
                }
                for x in 0..<w {
                    for bx in 0..<b {
                        let out = dst + (x * b + bx) * oc
                        let pixel = src + x * c
                        let first = by * b + bx
                        for ch in 0..<oc { out[ch] = pixel[ch * b * b + first] }
                    }
                }
            }
        }
    }
}
