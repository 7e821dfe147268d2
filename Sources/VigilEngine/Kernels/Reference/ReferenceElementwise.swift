import Foundation

/// Naive element-wise operators: activations, broadcasting binary operators, PRelu,
/// BatchNormalization.
enum ReferenceElementwise {
    @inline(__always)
    static func apply(_ activation: Activation, _ x: Float) -> Float {
        switch activation {
        case .identity: return x
        case .relu: return max(x, 0)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        case .sigmoid: return 1 / (1 + exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .hardSigmoid(let alpha, let beta): return max(0, min(1, alpha * x + beta))
        case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
        case .silu: return x / (1 + exp(-x))
        }
    }

    static func activation(_ x: Tensor, _ a: Activation) -> Tensor {
        Tensor(shape: x.shape, floats: x.floats.map { apply(a, $0) })
    }

    static func binary(_ a: Tensor, _ b: Tensor, _ op: BinaryOperator) throws -> Tensor {
        let shape = try ReferenceDataMovement.broadcastShape(a.shape, b.shape)
        let ia = ReferenceDataMovement.broadcastIndices(from: a.shape, to: shape)
        let ib = ReferenceDataMovement.broadcastIndices(from: b.shape, to: shape)
        if a.dataType == .int64 && b.dataType == .int64 {
            let (x, y) = (a.ints, b.ints)
            let out = try zip(ia, ib).map { (i, j) -> Int64 in
                let (p, q) = (x[i], y[j])
                switch op {
                case .add: return p &+ q
                case .sub: return p &- q
                case .mul: return p &* q
                case .div:
                    guard q != 0 else { throw ReferenceError.invalid("integer division by zero") }
                    return p / q
                case .pow: return Int64(clampingToInt64: Float(pow(Double(p), Double(q))))
                case .max: return max(p, q)
                case .min: return min(p, q)
                case .prelu: return p >= 0 ? p : p &* q
                }
            }
            return Tensor(shape: shape, ints: out)
        }
        let (x, y) = (a.floats, b.floats)
        let out = zip(ia, ib).map { (i, j) -> Float in
            let (p, q) = (x[i], y[j])
            switch op {
            case .add: return p + q
            case .sub: return p - q
            case .mul: return p * q
            case .div: return p / q
            case .pow: return Foundation.pow(p, q)
            case .max: return max(p, q)
            case .min: return min(p, q)
            case .prelu: return p >= 0 ? p : p * q
            }
        }
        return Tensor(shape: shape, floats: out)
    }

    static func prelu(_ x: Tensor, slope: Tensor) throws -> Tensor {
        let shape = try ReferenceDataMovement.broadcastShape(x.shape, slope.shape)
        guard shape == x.shape else { throw ReferenceError.invalid("PRelu slope \(slope.shape) does not broadcast to \(x.shape)") }
        let ix = x.floats, s = slope.floats
        let js = ReferenceDataMovement.broadcastIndices(from: slope.shape, to: shape)
        return Tensor(shape: shape, floats: (0..<ix.count).map { ix[$0] >= 0 ? ix[$0] : ix[$0] * s[js[$0]] })
    }

    /// input: X with channels on axis 1 (NCHW) or last (NHWC); parameters `[C]`.
    static func batchNormalization(_ x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor,
                                   epsilon: Float, layout: SpatialLayout) throws -> Tensor {
        guard x.rank >= 1 else { throw ReferenceError.invalid("BatchNormalization needs at least a 1-D input") }
        let channelAxis = layout == .nchw ? min(1, x.rank - 1) : x.rank - 1
        let c = x.shape[channelAxis]
        guard [scale, bias, mean, variance].allSatisfy({ $0.count == c }) else {
            throw ReferenceError.invalid("BatchNormalization parameters do not have \(c) channels")
        }
        let inner = x.shape[(channelAxis + 1)...].reduce(1, *)
        let (s, b, m, v) = (scale.floats, bias.floats, mean.floats, variance.floats)
        let values = x.floats
        let out = (0..<values.count).map { i -> Float in
            let ch = (i / inner) % c
            return (values[i] - m[ch]) / (v[ch] + epsilon).squareRoot() * s[ch] + b[ch]
        }
        return Tensor(shape: x.shape, floats: out)
    }
}
