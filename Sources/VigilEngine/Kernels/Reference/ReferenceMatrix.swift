import Foundation

/// Naive MatMul (NumPy semantics with batch broadcasting), Gemm and Softmax.
enum ReferenceMatrix {
    static func matMul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        var sa = a.shape, sb = b.shape
        if sa.count == 1 { sa = [1] + sa }
        if sb.count == 1 { sb = sb + [1] }
        guard sa.count >= 2, sb.count >= 2, sa[sa.count - 1] == sb[sb.count - 2]
        else { throw ReferenceError.invalid("MatMul shapes \(a.shape) and \(b.shape) do not match") }
        let (m, k, n) = (sa[sa.count - 2], sa[sa.count - 1], sb[sb.count - 1])
        let batch = try ReferenceDataMovement.broadcastShape(Array(sa.dropLast(2)), Array(sb.dropLast(2)))
        let ia = ReferenceDataMovement.broadcastIndices(from: Array(sa.dropLast(2)), to: batch)
        let ib = ReferenceDataMovement.broadcastIndices(from: Array(sb.dropLast(2)), to: batch)
        let xa = a.floats, xb = b.floats
        var out = [Float](repeating: 0, count: max(1, batch.reduce(1, *)) * m * n)
        for bi in 0..<max(1, batch.reduce(1, *)) {
            let (oa, ob) = ((ia.isEmpty ? 0 : ia[bi]) * m * k, (ib.isEmpty ? 0 : ib[bi]) * k * n)
            for i in 0..<m { for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += xa[oa + i * k + p] * xb[ob + p * n + j] }
                out[(bi * m + i) * n + j] = s
            } }
        }
        var shape = batch + [m, n]
        if a.shape.count == 1 { shape.remove(at: shape.count - 2) }
        if b.shape.count == 1 { shape.removeLast() }
        return Tensor(shape: shape, floats: out)
    }

    static func gemm(_ a: Tensor, _ b: Tensor, _ c: Tensor?, alpha: Float, beta: Float, transA: Bool, transB: Bool) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else { throw ReferenceError.invalid("Gemm needs 2-D inputs") }
        let ta = transA ? ReferenceDataMovement.transpose(a, perm: [1, 0]) : a
        let tb = transB ? ReferenceDataMovement.transpose(b, perm: [1, 0]) : b
        var product = try matMul(ta, tb)
        var values = product.floats.map { $0 * alpha }
        if let c {
            guard (try? ReferenceDataMovement.broadcastShape(c.shape, product.shape)) == product.shape else {
                throw ReferenceError.invalid("Gemm C \(c.shape) does not broadcast to \(product.shape)")
            }
            let ic = ReferenceDataMovement.broadcastIndices(from: c.shape, to: product.shape)
            let cv = c.floats
            for i in 0..<values.count { values[i] += beta * cv[ic[i]] }
        }
        product.storage = .float32(values)
        return product
    }

    static func softmax(_ x: Tensor, axis rawAxis: Int) -> Tensor {
        let axis = ReferenceDataMovement.normalizedAxis(rawAxis, rank: x.rank)
        let dim = x.shape[axis]
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let outer = x.shape[..<axis].reduce(1, *)
        var v = x.floats
        for o in 0..<outer { for i in 0..<inner {
            let base = o * dim * inner + i
            var m = -Float.infinity
            for d in 0..<dim { m = max(m, v[base + d * inner]) }
            var s: Float = 0
            for d in 0..<dim { let e = exp(v[base + d * inner] - m); v[base + d * inner] = e; s += e }
            for d in 0..<dim { v[base + d * inner] /= s }
        } }
        return Tensor(shape: x.shape, floats: v)
    }
}
