/// Copies, concatenation and axis permutation over physical buffers.
enum DataMovement {
    /// Concatenates along `axis` of physical shapes: each input contributes a block of
    /// `shape[axis] * inner` floats per outer index.
    static func concat(inputs: [(UnsafePointer<Float>, Int)], outer: Int, inner: Int, output: UnsafeMutablePointer<Float>) {
        let total = inputs.reduce(0) { $0 + $1.1 } * inner
        for o in 0..<outer {
            var dst = output + o * total
            for (pointer, axisSize) in inputs {
                let block = axisSize * inner
                dst.update(from: pointer + o * block, count: block)
                dst += block
            }
        }
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
    static func stridedCopy(_ input: UnsafePointer<Float>, outShape: [Int], sourceStrides srcStrides: [Int], output: UnsafeMutablePointer<Float>) {
        let rank = outShape.count
        guard rank > 0 else { output.pointee = input.pointee; return }
        if rank >= 2, srcStrides[rank - 1] != 1, srcStrides[rank - 2] == 1 {
            return transposedTail(input, outShape: outShape, sourceStrides: srcStrides, output: output)
        }
        let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
        let outer = outShape.reduce(1, *) / max(inner, 1)
        forEachOuter(outer: outer, axes: rank - 1, outShape: outShape, sourceStrides: srcStrides) { o, offset in
            let dst = output + o * inner
            if innerStride == 1 { dst.update(from: input + offset, count: inner) }
            else { for i in 0..<inner { dst[i] = input[offset + i * innerStride] } }
        }
    }

    /// Calls `body(index, sourceOffset)` for each of the `outer` combinations of the first
    /// `axes` output axes, in order.
    @inline(__always)
    private static func forEachOuter(outer: Int, axes: Int, outShape: [Int], sourceStrides: [Int], _ body: (Int, Int) -> Void) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(axes, 1)) { index in
            index.initialize(repeating: 0)
            var offset = 0
            for o in 0..<outer {
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
    /// rows) and the writes (along columns) stay within a few cache lines.
    private static func transposedTail(_ input: UnsafePointer<Float>, outShape: [Int], sourceStrides: [Int], output: UnsafeMutablePointer<Float>) {
        let rank = outShape.count
        let rows = outShape[rank - 2], columns = outShape[rank - 1], columnStride = sourceStrides[rank - 1]
        let outer = outShape.reduce(1, *) / max(rows * columns, 1)
        forEachOuter(outer: outer, axes: rank - 2, outShape: outShape, sourceStrides: sourceStrides) { o, offset in
            let source = input + offset, destination = output + o * rows * columns
            var row = 0
            while row < rows {
                let rowEnd = min(row + 8, rows)
                var column = 0
                while column < columns {
                    let columnEnd = min(column + 8, columns)
                    for c in column..<columnEnd {
                        let from = source + c * columnStride
                        for r in row..<rowEnd { destination[r * columns + c] = from[r] }
                    }
                    column = columnEnd
                }
                row = rowEnd
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
