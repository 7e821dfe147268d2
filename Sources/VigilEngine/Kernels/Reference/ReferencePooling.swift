/// Naive pooling and reductions on logical tensors.
enum ReferencePooling {
    /// Output size of a pooled axis (ONNX: floor, or ceil when `ceilMode`, never starting in the end pad).
    static func pooledSize(input: Int, kernel: Int, stride: Int, padBefore: Int, padAfter: Int, ceilMode: Bool) -> Int {
        let span = input + padBefore + padAfter - kernel
        var size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        // A window must start inside the input or the leading pad (ONNX/PyTorch rule).
        if ceilMode && (size - 1) * stride >= input + padBefore { size -= 1 }
        return size
    }

    static func pool(_ input: Tensor, _ a: Pool2DAttributes, isMax: Bool) throws -> Tensor {
        guard input.rank == 4 else { throw ReferenceError.invalid("pooling needs a 4-D input") }
        guard min(a.kernel.h, a.kernel.w, a.strides.h, a.strides.w) > 0 else {
            throw ReferenceError.invalid("pooling kernel \(a.kernel) and strides \(a.strides) must be positive")
        }
        let x = ReferenceConvolution.toNCHW(input, a.layout)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (pt, pb) = a.padding.resolve(axis: 0, inputSize: h, kernel: a.kernel.h, stride: a.strides.h, dilation: 1)
        let (pl, pr) = a.padding.resolve(axis: 1, inputSize: w, kernel: a.kernel.w, stride: a.strides.w, dilation: 1)
        let oh = pooledSize(input: h, kernel: a.kernel.h, stride: a.strides.h, padBefore: pt, padAfter: pb, ceilMode: a.ceilMode)
        let ow = pooledSize(input: w, kernel: a.kernel.w, stride: a.strides.w, padBefore: pl, padAfter: pr, ceilMode: a.ceilMode)
        guard oh > 0, ow > 0 else { throw ReferenceError.invalid("pooling output would be empty") }
        let xs = x.floats
        var out = [Float](repeating: 0, count: n * c * oh * ow)
        for plane in 0..<(n * c) {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let y0 = oy * a.strides.h - pt, x0 = ox * a.strides.w - pl
                    var best = -Float.infinity, sum: Float = 0, count = 0
                    for ky in 0..<a.kernel.h {
                        for kx in 0..<a.kernel.w {
                            let (iy, ix) = (y0 + ky, x0 + kx)
                            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                            let v = xs[(plane * h + iy) * w + ix]
                            best = max(best, v); sum += v; count += 1
                        }
                    }
                    let divisor: Int
                    if a.countIncludePad {
                        // Cells in the explicit pad count, cells past it (ceil mode) do not.
                        let yEnd = min(y0 + a.kernel.h, h + pb), xEnd = min(x0 + a.kernel.w, w + pr)
                        divisor = (yEnd - y0) * (xEnd - x0)
                    } else {
                        divisor = count
                    }
                    out[(plane * oh + oy) * ow + ox] = isMax ? best : sum / Float(max(divisor, 1))
                }
            }
        }
        return ReferenceConvolution.fromNCHW(Tensor(shape: [n, c, oh, ow], floats: out), a.layout)
    }

    static func globalAveragePool(_ input: Tensor, layout: SpatialLayout) throws -> Tensor {
        guard layout == .nchw ? input.rank >= 3 : input.rank == 4 else { throw ReferenceError.invalid("GlobalAveragePool needs a spatial input") }
        let x = ReferenceConvolution.toNCHW(input, layout)
        return ReferenceConvolution.fromNCHW(try reduceMean(x, axes: Array(2..<x.rank), keepDims: true), layout)
    }

    static func reduceMean(_ x: Tensor, axes rawAxes: [Int], keepDims: Bool) throws -> Tensor {
        let axes = Set((rawAxes.isEmpty ? Array(0..<x.rank) : rawAxes).map { ReferenceDataMovement.normalizedAxis($0, rank: x.rank) })
        guard axes.allSatisfy({ $0 >= 0 && $0 < x.rank }) else { throw ReferenceError.invalid("ReduceMean axes \(rawAxes) out of range") }
        let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let strides = keptShape.stridesRowMajor
        var sums = [Float](repeating: 0, count: keptShape.reduce(1, *))
        let values = x.floats
        var i = 0
        ReferenceDataMovement.forEachIndex(x.shape) { index in
            var offset = 0
            for axis in 0..<index.count where !axes.contains(axis) { offset += index[axis] * strides[axis] }
            sums[offset] += values[i]
            i += 1
        }
        let divisor = Float(axes.map { x.shape[$0] }.reduce(1, *))
        let shape = keepDims ? keptShape : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        return Tensor(shape: shape, floats: sums.map { $0 / divisor })
    }
}
