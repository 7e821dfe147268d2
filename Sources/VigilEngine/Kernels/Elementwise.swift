import Foundation

/// Binary operator with NumPy broadcasting over physical (already laid out) shapes, followed
/// by an optional fused activation. The innermost axis runs as a vector loop; outer axes
/// advance per-input offsets with stride 0 where an input broadcasts.
struct BinaryKernel {
    let op: BinaryOperator
    let activation: Activation
    let shape: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    /// - shapeA, shapeB: physical shapes, broadcastable to `shape` (right-aligned).
    init(op: BinaryOperator, activation: Activation, shape: [Int], shapeA: [Int], shapeB: [Int]) {
        self.op = op
        self.activation = activation
        // Merge adjacent axes where both inputs are either full or broadcast alike: fewer,
        // longer inner loops.
        func aligned(_ s: [Int]) -> [Int] { [Int](repeating: 1, count: shape.count - s.count) + s }
        let a = aligned(shapeA), b = aligned(shapeB)
        var mergedShape: [Int] = [], mergedA: [Int] = [], mergedB: [Int] = []
        for axis in 0..<shape.count {
            if shape[axis] == 1 { continue }
            let fa = a[axis] != 1, fb = b[axis] != 1
            if let last = mergedShape.indices.last, (mergedA[last] != 1) == fa, (mergedB[last] != 1) == fb {
                mergedShape[last] *= shape[axis]
                mergedA[last] *= a[axis]; mergedB[last] *= b[axis]
            } else {
                mergedShape.append(shape[axis]); mergedA.append(a[axis]); mergedB.append(b[axis])
            }
        }
        if mergedShape.isEmpty { mergedShape = [1]; mergedA = [1]; mergedB = [1] }
        self.shape = mergedShape
        func strides(_ s: [Int]) -> [Int] {
            let rowMajor = s.stridesRowMajor
            return s.indices.map { s[$0] == 1 ? 0 : rowMajor[$0] }
        }
        stridesA = strides(mergedA)
        stridesB = strides(mergedB)
    }

    /// Runs over the whole output, split across `threads` by rows of the innermost axis, or,
    /// when the axes merged into one row (operands of the same shape, or one a scalar), by
    /// spans of that row.
    func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let inner = shape[shape.count - 1]
        let outer = shape.reduce(1, *) / inner
        if shape.count == 1 && inner >= 2 * Self.spanElements {
            // One row cannot be split by rows: a same-shape Add of 48×48×48 (the full-range
            // face detector's upsampling path) ran on one thread, 0.015 ms at one thread and
            // 0.021 at two.
            let spans = (inner + Self.spanElements - 1) / Self.spanElements
            parallelChunks(spans, threads: threads, work: inner * 2, SpanJob(kernel: self, a: a, b: b, output: output))
            return
        }
        parallelChunks(outer, threads: threads, minimumChunk: max(1, 16384 / max(inner, 1)), work: outer * inner * 2,
                       Job(kernel: self, a: a, b: b, output: output))
    }

    /// Elements per span when one row is split (a multiple of the vector width).
    static let spanElements = 2048

    /// Spans `range` of a one-axis kernel (`spanElements` each, the last one shorter).
    struct SpanJob: ParallelJob {
        let kernel: BinaryKernel
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) {
            let start = range.lowerBound * BinaryKernel.spanElements
            let end = min(kernel.shape[0], range.upperBound * BinaryKernel.spanElements)
            let (sa, sb) = (kernel.stridesA[0], kernel.stridesB[0])
            kernel.innerLoop(a + start * sa, sa, b + start * sb, sb, output + start, end - start)
            if kernel.activation != .identity { kernel.activation.apply(output + start, count: end - start) }
        }
    }

    struct Job: ParallelJob {
        let kernel: BinaryKernel
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
        func run(_ range: Range<Int>) { kernel.run(rows: range, a: a, b: b, output: output) }
    }

    func run(rows: Range<Int>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let rank = shape.count
        let inner = shape[rank - 1]
        let (sa, sb) = (stridesA[rank - 1], stridesB[rank - 1])
        // Multi-index of the first row, and the input offsets it implies.
        // The multi-index lives on the stack: a run allocates nothing.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { index in
        index.initialize(repeating: 0)
        var offsetA = 0, offsetB = 0
        var remainder = rows.lowerBound
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
            offsetA += index[axis] * stridesA[axis]
            offsetB += index[axis] * stridesB[axis]
        }
        for o in rows {
            innerLoop(a + offsetA, sa, b + offsetB, sb, output + o * inner, inner)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]; offsetB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]; offsetB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        }
        if activation != .identity { activation.apply(output + rows.lowerBound * inner, count: rows.count * inner) }
    }

    @inline(__always)
    func innerLoop(_ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        switch (op, sa, sb) {
        case (.add, 1, 1): vector(a, b, out, count) { $0 + $1 }
        case (.mul, 1, 1): vector(a, b, out, count) { $0 * $1 }
        case (.sub, 1, 1): vector(a, b, out, count) { $0 - $1 }
        case (.div, 1, 1): vector(a, b, out, count) { $0 / $1 }
        case (.prelu, 1, 1): vector(a, b, out, count) { $0.replacing(with: $0 * $1, where: $0 .< 0) }
        // Compare-and-select rather than pointwiseMax/Min, which run lane by lane (see Activation.clamp).
        case (.max, 1, 1): vector(a, b, out, count) { $0.replacing(with: $1, where: $1 .> $0) }
        case (.min, 1, 1): vector(a, b, out, count) { $0.replacing(with: $1, where: $1 .< $0) }
        case (.add, 1, 0): let s = b.pointee; vectorScalar(a, out, count) { $0 + s }
        case (.mul, 1, 0): let s = b.pointee; vectorScalar(a, out, count) { $0 * s }
        case (.sub, 1, 0): let s = b.pointee; vectorScalar(a, out, count) { $0 - s }
        case (.div, 1, 0): let s = 1 / b.pointee; vectorScalar(a, out, count) { $0 * s }
        default:
            for i in 0..<count { out[i] = apply(a[i * sa], b[i * sb]) }
        }
    }

    @inline(__always)
    func apply(_ x: Float, _ y: Float) -> Float {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .pow: return powf(x, y)
        case .max: return max(x, y)
        case .min: return min(x, y)
        case .prelu: return x >= 0 ? x : x * y
        }
    }

    @inline(__always)
    func vector(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int,
                _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b), or = UnsafeMutableRawPointer(out)
        while i + 8 <= count {
            let r = f(ar.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), br.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            or.storeBytes(of: r, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { out[i] = apply(a[i], b[i]); i += 1 }
    }

    @inline(__always)
    func vectorScalar(_ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        let ar = UnsafeRawPointer(a), or = UnsafeMutableRawPointer(out)
        while i + 8 <= count {
            or.storeBytes(of: f(ar.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            var v = SIMD8<Float>(repeating: 0); v[0] = a[i]
            out[i] = f(v)[0]
            i += 1
        }
    }
}

/// Softmax over the middle axis of `[outer, axis, inner]` (row-major, identity layout).
struct SoftmaxKernel {
    let outer: Int, axis: Int, inner: Int

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for o in 0..<outer {
            let base = o * axis * inner
            // Eight neighbouring positions along the contiguous inner axis at a time (YOLO's
            // distribution head: a softmax over 16 bins for each of 8400 anchors, 2.55 ms
            // when it ran one position and one scalar exp at a time); the rest one by one.
            var i = 0
            while i + 8 <= inner {
                runEight(input + base + i, output + base + i)
                i += 8
            }
            while i < inner {
                runOne(input + base + i, output + base + i)
                i += 1
            }
        }
    }

    @inline(__always)
    private func runEight(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ d: Int) -> SIMD8<Float> { UnsafeRawPointer(x + d * inner).loadUnaligned(as: SIMD8<Float>.self) }
        var maximum = SIMD8<Float>(repeating: -.infinity)
        for d in 0..<axis { let v = load(d); maximum = maximum.replacing(with: v, where: v .> maximum) }
        var sum = SIMD8<Float>()
        for d in 0..<axis {
            let e = VectorMath.exp(load(d) - maximum)
            UnsafeMutableRawPointer(y + d * inner).storeBytes(of: e, as: SIMD8<Float>.self)
            sum += e
        }
        let scale = 1 / sum
        for d in 0..<axis {
            let p = UnsafeMutableRawPointer(y + d * inner)
            p.storeBytes(of: p.loadUnaligned(as: SIMD8<Float>.self) * scale, as: SIMD8<Float>.self)
        }
    }

    @inline(__always)
    private func runOne(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        var maximum = -Float.infinity
        for d in 0..<axis { maximum = Swift.max(maximum, x[d * inner]) }
        var sum: Float = 0
        for d in 0..<axis {
            let e = expf(x[d * inner] - maximum)
            y[d * inner] = e
            sum += e
        }
        let scale = 1 / sum
        for d in 0..<axis { y[d * inner] *= scale }
    }
}
