/// Copies, concatenation and axis permutation over physical buffers.
enum DataMovement {
    /// Concatenates along an axis of physical shapes, outer indices `outerRange`: each input
    /// (pointer, size along the axis) contributes a block of `size * inner` floats per outer
    /// index. In channels-last maps a block is one pixel's channels, often 16–64 floats, so
    /// blocks are copied inline rather than by a memmove call each.
    static func concat(_ inputs: UnsafeBufferPointer<(UnsafePointer<Float>, Int)>, outerRange: Range<Int>, inner: Int, output: UnsafeMutablePointer<Float>) {
        let total = inputs.reduce(0) { $0 + $1.1 } * inner
        for o in outerRange {
            var dst = output + o * total
            for (pointer, axisSize) in inputs {
                let block = axisSize * inner
                copy(pointer + o * block, to: dst, count: block)
                dst += block
            }
        }
    }

    /// The inverse of `concat`: outer indices `outerRange` of `input` cut into blocks of
    /// `size * inner` floats, one per output (pointer, size along the axis).
    static func split(_ input: UnsafePointer<Float>, outerRange: Range<Int>, inner: Int, outputs: UnsafeBufferPointer<(UnsafeMutablePointer<Float>, Int)>) {
        let total = outputs.reduce(0) { $0 + $1.1 } * inner
        for o in outerRange {
            var source = input + o * total
            for (pointer, axisSize) in outputs {
                let block = axisSize * inner
                copy(source, to: pointer + o * block, count: block)
                source += block
            }
        }
    }

    /// Copies inline (8 floats at a time), instead of a memmove call per patch segment or per
    /// pixel's channels.
    /// A remainder is one more 8-wide copy ending at the last float (overlapping the previous
    /// one) when there are at least 8: a 3-channel stem's 15-float kernel rows are two copies,
    /// not one and seven single floats.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        @inline(__always) func copy8(_ i: Int) {
            UnsafeMutableRawPointer(destination + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self),
                                                                as: SIMD8<Float>.self)
        }
        guard count >= 8 else {
            for i in 0..<count { destination[i] = source[i] }
            return
        }
        var i = 0
        while i + 8 <= count { copy8(i); i += 8 }
        if i < count { copy8(count - 8) }
    }

    @inline(__always)
    static func fill(_ destination: UnsafeMutablePointer<Float>, count: Int) {
        guard count >= 8 else {
            for i in 0..<count { destination[i] = 0 }
            return
        }
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(destination + i).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self)
            i += 8
        }
        if i < count { UnsafeMutableRawPointer(destination + count - 8).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self) }
    }

    /// `outShape` and `sourceStrides` with size-1 axes dropped and neighbours merged where the
    /// input walks them as one (stride of the outer = stride of the inner × its size): the
    /// same copy with as few axes as possible, so that NCHW↔NHWC becomes a 2-D transpose.
    static func simplified(outShape: [Int], sourceStrides: [Int]) -> (outShape: [Int], sourceStrides: [Int]) {
        var shape: [Int] = [], strides: [Int] = []
        for (size, stride) in zip(outShape, sourceStrides) where size != 1 {
            if let last = shape.last, strides[strides.count - 1] == stride * size {
                shape[shape.count - 1] = last * size
                strides[strides.count - 1] = stride
            } else {
                shape.append(size)
                strides.append(stride)
            }
        }
        if shape.isEmpty { return (outShape.isEmpty ? [] : [1], outShape.isEmpty ? [] : [1]) }
        return (shape, strides)
    }

    /// Writes `input` as `outShape`, whose axis i steps `sourceStrides[i]` floats through the
    /// input: a transpose (permuted strides) or a strided slice. Strides are precomputed by the
    /// step, so a run allocates nothing. Pass them through `simplified` first: a last axis
    /// that is strided in the input while the one before it is contiguous (a layout change)
    /// is copied in tiles, not one element per odometer step.
    ///
    /// `items` (default: all `stridedCopyItems`) is the part to copy, for splitting between
    /// threads: innermost rows, or for a layout change 8-row bands of its 2-D transposes.
    static func stridedCopy(_ input: UnsafePointer<Float>, outShape: [Int], sourceStrides srcStrides: [Int],
                            output: UnsafeMutablePointer<Float>, items: Range<Int>? = nil) {
        let rank = outShape.count
        guard rank > 0 else { output.pointee = input.pointee; return }
        let items = items ?? 0..<stridedCopyItems(outShape: outShape, sourceStrides: srcStrides)
        if isTransposedTail(outShape: outShape, sourceStrides: srcStrides) {
            return transposedTail(input, outShape: outShape, sourceStrides: srcStrides, output: output, bands: items)
        }
        let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
        forEachOuter(items, axes: rank - 1, outShape: outShape, sourceStrides: srcStrides) { o, offset in
            let dst = output + o * inner
            if innerStride == 1 { dst.update(from: input + offset, count: inner) }
            else { for i in 0..<inner { dst[i] = input[offset + i * innerStride] } }
        }
    }

    /// How many independent parts `stridedCopy` divides the copy into (see `items`).
    static func stridedCopyItems(outShape: [Int], sourceStrides: [Int]) -> Int {
        let rank = outShape.count
        guard rank > 0 else { return 1 }
        if isTransposedTail(outShape: outShape, sourceStrides: sourceStrides) {
            return outShape[..<(rank - 2)].reduce(1, *) * ((outShape[rank - 2] + 7) / 8)
        }
        return outShape[..<(rank - 1)].reduce(1, *)
    }

    private static func isTransposedTail(outShape: [Int], sourceStrides: [Int]) -> Bool {
        let rank = outShape.count
        return rank >= 2 && sourceStrides[rank - 1] != 1 && sourceStrides[rank - 2] == 1
    }

    /// Calls `body(index, sourceOffset)` for each combination `range` (in row-major order) of
    /// the first `axes` output axes.
    @inline(__always)
    private static func forEachOuter(_ range: Range<Int>, axes: Int, outShape: [Int], sourceStrides: [Int], _ body: (Int, Int) -> Void) {
        guard !range.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(axes, 1)) { index in
            // The odometer at range.lowerBound.
            var offset = 0, rest = range.lowerBound
            for axis in stride(from: axes - 1, through: 0, by: -1) {
                index[axis] = rest % outShape[axis]
                rest /= outShape[axis]
                offset += index[axis] * sourceStrides[axis]
            }
            for o in range {
                body(o, offset)
                var axis = axes - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += sourceStrides[axis]
                    if index[axis] < outShape[axis] { break }
                    offset -= sourceStrides[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// The last two output axes are a transposed matrix: rows contiguous in the input,
    /// columns `sourceStrides.last` apart. Copied in 8×8 tiles so that both the reads (along
    /// rows) and the writes (along columns) stay within a few cache lines; `bands` numbers the
    /// 8-row bands of all the matrices in order.
    private static func transposedTail(_ input: UnsafePointer<Float>, outShape: [Int], sourceStrides: [Int],
                                       output: UnsafeMutablePointer<Float>, bands: Range<Int>) {
        let rank = outShape.count
        let rows = outShape[rank - 2], columns = outShape[rank - 1], columnStride = sourceStrides[rank - 1]
        let bandsPerMatrix = (rows + 7) / 8
        guard bandsPerMatrix > 0, !bands.isEmpty else { return }
        let matrices = bands.lowerBound / bandsPerMatrix..<((bands.upperBound - 1) / bandsPerMatrix + 1)
        forEachOuter(matrices, axes: rank - 2, outShape: outShape, sourceStrides: sourceStrides) { o, offset in
            let source = input + offset, destination = output + o * rows * columns
            let firstBand = max(bands.lowerBound - o * bandsPerMatrix, 0)
            let endBand = min(bands.upperBound - o * bandsPerMatrix, bandsPerMatrix)
            for band in firstBand..<endBand {
                let row = band * 8, rowEnd = min(row + 8, rows)
                var column = 0
                while column < columns {
                    let columnEnd = min(column + 8, columns)
                    for c in column..<columnEnd {
                        let from = source + c * columnStride
                        for r in row..<rowEnd { destination[r * columns + c] = from[r] }
                    }
                    column = columnEnd
                }
            }
        }
    }
}

/// Constant padding over physical shapes: fill, then copy each innermost row into place.
struct PadKernel {
    let inputShape: [Int]
    let outputShape: [Int]
    let outputStrides: [Int]
    let before: [Int]
    let value: Float

    /// - before, after: pads per physical axis (non-negative).
    init(inputShape: [Int], before: [Int], after: [Int], value: Float) {
        self.inputShape = inputShape
        self.before = before
        self.value = value
        outputShape = (0..<inputShape.count).map { inputShape[$0] + before[$0] + after[$0] }
        outputStrides = outputShape.stridesRowMajor
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let rank = inputShape.count
        output.update(repeating: value, count: outputShape.reduce(1, *))
        guard rank > 0, !inputShape.contains(0) else { return }
        let outStrides = outputStrides
        let inner = inputShape[rank - 1]
        let rows = inputShape.reduce(1, *) / inner
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { index in
        index.initialize(repeating: 0)
        for row in 0..<rows {
            var offset = before[rank - 1]
            for axis in 0..<(rank - 1) { offset += (index[axis] + before[axis]) * outStrides[axis] }
            (output + offset).update(from: input + row * inner, count: inner)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < inputShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        }
    }
}
