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

    /// Writes `input` as `outShape`, whose axis i steps `sourceStrides[i]` floats through the
    /// input: a transpose (permuted strides) or a strided slice. Strides are precomputed by the
    /// step, so a run allocates nothing.
    static func stridedCopy(_ input: UnsafePointer<Float>, outShape: [Int], sourceStrides srcStrides: [Int], output: UnsafeMutablePointer<Float>) {
        let rank = outShape.count
        let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
        let outer = outShape.reduce(1, *) / max(inner, 1)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { index in
            index.initialize(repeating: 0)
            var offset = 0
            for o in 0..<outer {
                let dst = output + o * inner
                if innerStride == 1 { dst.update(from: input + offset, count: inner) }
                else { for i in 0..<inner { dst[i] = input[offset + i * innerStride] } }
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    offset += srcStrides[axis]
                    if index[axis] < outShape[axis] { break }
                    offset -= srcStrides[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
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
