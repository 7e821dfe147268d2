/// Naive data-movement operators on logical tensors (any element type). They are the oracle
/// for the fast kernels and the constant folder for exporter shape plumbing: correctness
/// and clarity first, speed irrelevant.
enum ReferenceDataMovement {
    /// Normalises a possibly negative axis against `rank`.
    static func normalizedAxis(_ axis: Int, rank: Int) -> Int { axis < 0 ? axis + rank : axis }

    /// `axis` normalised and checked to lie in `0..<rank`: attributes come from model files.
    static func checkedAxis(_ axis: Int, rank: Int, _ op: String) throws -> Int {
        let a = normalizedAxis(axis, rank: rank)
        guard a >= 0, a < rank else { throw ReferenceError.invalid("\(op) axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// Element count of a shape a model asks for, refused when negative or absurd (the
    /// planner's limit) so a corrupt constant cannot make the interpreter allocate petabytes.
    @discardableResult
    static func checkedCount(_ shape: [Int], _ op: String) throws -> Int {
        var count = 1, overflow = false
        for d in shape {
            guard d >= 0 else { throw ReferenceError.invalid("\(op) shape \(shape) has a negative dimension") }
            (count, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, count <= ShapeInference.maximumElements else { throw ReferenceError.invalid("\(op) shape \(shape) is too large") }
        }
        return count
    }

    /// Builds a tensor of `shape` whose element i is `source`'s element `indices[i]`.
    static func gather(_ source: Tensor, indices: [Int], shape: [Int]) -> Tensor {
        switch source.storage {
        case .float32(let values): return Tensor(shape: shape, floats: indices.map { values[$0] })
        case .int64(let values): return Tensor(shape: shape, ints: indices.map { values[$0] })
        }
    }

    /// Source index of each output element when `shape` is a permutation `perm` of `source`.
    static func transpose(_ source: Tensor, perm: [Int]) -> Tensor {
        let inShape = source.shape
        let inStrides = inShape.stridesRowMajor
        let outShape = perm.map { inShape[$0] }
        var indices = [Int](); indices.reserveCapacity(source.count)
        forEachIndex(outShape) { index in
            var offset = 0
            for (axis, value) in index.enumerated() { offset += value * inStrides[perm[axis]] }
            indices.append(offset)
        }
        return gather(source, indices: indices, shape: outShape)
    }

    /// Calls `body` with every multi-index of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
        if shape.contains(0) { return }
        var index = [Int](repeating: 0, count: shape.count)
        while true {
            body(index)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    static func concat(_ inputs: [Tensor], axis rawAxis: Int) throws -> Tensor {
        guard let first = inputs.first else { throw ReferenceError.invalid("Concat needs inputs") }
        let axis = try checkedAxis(rawAxis, rank: first.rank, "Concat")
        var outShape = first.shape
        outShape[axis] = 0
        for input in inputs {
            guard input.rank == first.rank, (0..<first.rank).allSatisfy({ $0 == axis || input.shape[$0] == first.shape[$0] })
            else { throw ReferenceError.invalid("Concat shapes \(inputs.map(\.shape)) differ off axis \(axis)") }
            outShape[axis] += input.shape[axis]
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        if first.dataType == .int64 || inputs.contains(where: { $0.dataType == .int64 }) {
            var out = [Int64]()
            for o in 0..<outer {
                for input in inputs {
                    let block = input.shape[axis] * inner
                    out.append(contentsOf: input.ints[(o * block)..<((o + 1) * block)])
                }
            }
            return Tensor(shape: outShape, ints: out)
        }
        var out = [Float](); out.reserveCapacity(outShape.reduce(1, *))
        for o in 0..<outer {
            for input in inputs {
                let block = input.shape[axis] * inner
                out.append(contentsOf: input.floats[(o * block)..<((o + 1) * block)])
            }
        }
        return Tensor(shape: outShape, floats: out)
    }

    static func split(_ input: Tensor, axis rawAxis: Int, sizes: [Int]) throws -> [Tensor] {
        let axis = try checkedAxis(rawAxis, rank: input.rank, "Split")
        guard sizes.reduce(0, +) == input.shape[axis], sizes.allSatisfy({ $0 >= 0 })
        else { throw ReferenceError.invalid("Split sizes \(sizes) do not sum to \(input.shape[axis])") }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(input, starts: [start], ends: [start + size], axes: [axis], steps: [1])
        }
    }

    /// ONNX Slice with already-normalised parameter lists.
    static func slice(_ input: Tensor, starts: [Int], ends: [Int], axes: [Int], steps: [Int]) -> Tensor {
        let (begin, step, outShape) = sliceGeometry(input.shape, starts: starts, ends: ends, axes: axes, steps: steps)
        let strides = input.shape.stridesRowMajor
        var indices = [Int](); indices.reserveCapacity(outShape.reduce(1, *))
        forEachIndex(outShape) { index in
            var offset = 0
            for axis in 0..<index.count { offset += (begin[axis] + index[axis] * step[axis]) * strides[axis] }
            indices.append(offset)
        }
        return gather(input, indices: indices, shape: outShape)
    }

    /// Per axis: first index, step and output size of a Slice (ONNX clamping rules), shared by
    /// the reference operator and the planned kernel.
    static func sliceGeometry(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int], steps: [Int]) -> (begin: [Int], step: [Int], outShape: [Int]) {
        var begin = [Int](repeating: 0, count: shape.count)
        var step = [Int](repeating: 1, count: shape.count)
        var outShape = shape
        for (i, rawAxis) in axes.enumerated() {
            let axis = normalizedAxis(rawAxis, rank: shape.count)
            let dim = shape[axis]
            let s = steps[i]
            var b = starts[i], e = ends[i]
            if b < 0 { b += dim }
            if e < 0 { e += dim }
            if s > 0 {
                b = min(max(b, 0), dim); e = min(max(e, 0), dim)
                outShape[axis] = e > b ? (e - b + s - 1) / s : 0
            } else {
                b = min(max(b, -1), dim - 1); e = min(max(e, -1), dim - 1)
                outShape[axis] = b > e ? (b - e + (-s) - 1) / (-s) : 0
            }
            begin[axis] = b
            step[axis] = s
        }
        return (begin, step, outShape)
    }

    /// ONNX Reshape: 0 copies the input dimension (unless allowZero), -1 is inferred.
    static func reshapeTarget(inputShape: [Int], requested: [Int64], allowZero: Bool) throws -> [Int] {
        var shape = requested.enumerated().map { (i, d) -> Int in
            if d == 0 && !allowZero { return i < inputShape.count ? inputShape[i] : 0 }
            return Int(d)
        }
        let total = inputShape.reduce(1, *)
        if let inferred = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            guard known > 0, total % known == 0 else { throw ReferenceError.invalid("cannot reshape \(inputShape) to \(requested)") }
            shape[inferred] = total / known
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == total
        else { throw ReferenceError.invalid("cannot reshape \(inputShape) to \(requested)") }
        return shape
    }

    static func gatherAlongAxis(_ data: Tensor, indices: Tensor, axis rawAxis: Int) throws -> Tensor {
        let axis = try checkedAxis(rawAxis, rank: data.rank, "Gather")
        let dim = data.shape[axis]
        let idx = try indices.ints.map { raw -> Int in
            let i = Int(raw) < 0 ? Int(raw) + dim : Int(raw)
            guard i >= 0 && i < dim else { throw ReferenceError.invalid("Gather index \(raw) out of range for dimension \(dim)") }
            return i
        }
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let outShape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        var sourceIndices = [Int](); sourceIndices.reserveCapacity(outShape.reduce(1, *))
        for o in 0..<outer {
            for i in idx {
                let base = (o * dim + i) * inner
                for j in 0..<inner { sourceIndices.append(base + j) }
            }
        }
        return gather(data, indices: sourceIndices, shape: outShape)
    }

    /// NumPy-style broadcast of two shapes.
    static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        return try (0..<rank).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw ReferenceError.invalid("shapes \(a) and \(b) do not broadcast")
        }
    }

    /// Source index of each element of `outShape` in a tensor of `shape` broadcast to it.
    static func broadcastIndices(from shape: [Int], to outShape: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: outShape.count - shape.count) + shape
        let strides = padded.stridesRowMajor
        var indices = [Int](); indices.reserveCapacity(outShape.reduce(1, *))
        forEachIndex(outShape) { index in
            var offset = 0
            for axis in 0..<index.count where padded[axis] != 1 { offset += index[axis] * strides[axis] }
            indices.append(offset)
        }
        return indices
    }

    static func expand(_ input: Tensor, shape: [Int]) throws -> Tensor {
        try checkedCount(shape, "Expand")
        let outShape = try broadcastShape(input.shape, shape)
        try checkedCount(outShape, "Expand")
        return gather(input, indices: broadcastIndices(from: input.shape, to: outShape), shape: outShape)
    }

    static func pad(_ input: Tensor, pads: [Int], mode: Operator.PadMode, value: Float) throws -> Tensor {
        let rank = input.rank
        guard pads.count == 2 * rank else { throw ReferenceError.invalid("Pad needs \(2 * rank) pads, got \(pads.count)") }
        let outShape = (0..<rank).map { input.shape[$0] + pads[$0] + pads[$0 + rank] }
        guard outShape.allSatisfy({ $0 >= 0 }) else { throw ReferenceError.invalid("Pad \(pads) makes a negative shape") }
        try checkedCount(outShape, "Pad")
        let values = input.floats
        let strides = input.shape.stridesRowMajor
        var out = [Float](); out.reserveCapacity(outShape.reduce(1, *))
        forEachIndex(outShape) { index in
            var offset = 0
            for axis in 0..<rank {
                var i = index[axis] - pads[axis]
                let dim = input.shape[axis]
                if i < 0 || i >= dim {
                    switch mode {
                    case .constant: offset = -1
                    case .edge: i = min(max(i, 0), dim - 1)
                    case .reflect:
                        if dim == 1 { i = 0 } else {
                            let period = 2 * (dim - 1)
                            i = ((i % period) + period) % period
                            if i >= dim { i = period - i }
                        }
                    }
                }
                if offset < 0 { break }
                offset += i * strides[axis]
            }
            out.append(offset < 0 ? value : values[offset])
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// DepthToSpace on a logical NHWC tensor (TFLite layout).
    static func depthToSpaceNHWC(_ input: Tensor, blockSize b: Int, columnRowDepth: Bool) throws -> Tensor {
        guard b > 0, input.rank == 4, input.shape[3] % (b * b) == 0 else { throw ReferenceError.invalid("DepthToSpace needs NHWC with C divisible by \(b * b)") }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let oc = c / (b * b)
        let outShape = [n, h * b, w * b, oc]
        var indices = [Int](); indices.reserveCapacity(input.count)
        forEachIndex(outShape) { i in
            let (y, x) = (i[1] / b, i[2] / b)
            let (by, bx) = (i[1] % b, i[2] % b)
            // DCR (TFLite, ONNX default): channel = (by * b + bx) * oc + c; CRD: c * b * b + by * b + bx.
            let channel = columnRowDepth ? i[3] * b * b + by * b + bx : (by * b + bx) * oc + i[3]
            indices.append(((i[0] * h + y) * w + x) * c + channel)
        }
        return gather(input, indices: indices, shape: outShape)
    }
}

/// Failure inside a reference computation; the interpreter wraps it with the node's name.
enum ReferenceError: Error {
    case invalid(String)
}
