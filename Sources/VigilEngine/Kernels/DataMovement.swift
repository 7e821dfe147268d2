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

    /// Writes `input` (physical `shape`) permuted by `perm`: output axis i is input axis perm[i].
    static func transpose(_ input: UnsafePointer<Float>, shape: [Int], perm: [Int], output: UnsafeMutablePointer<Float>) {
        let rank = shape.count
        let inStrides = shape.stridesRowMajor
        let outShape = perm.map { shape[$0] }
        let srcStrides = perm.map { inStrides[$0] }
        let inner = outShape[rank - 1], innerStride = srcStrides[rank - 1]
        let outer = outShape.reduce(1, *) / max(inner, 1)
        var index = [Int](repeating: 0, count: rank)
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
