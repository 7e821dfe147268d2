/// Element type of a tensor. Activations are always `float32`; `int64` exists for the
/// shape plumbing (Shape, Gather, Range...) that exporters emit and the planner folds away.
public enum DataType: Sendable, Equatable, CustomStringConvertible {
    case float32
    case int64

    public var description: String {
        switch self {
        case .float32: return "float32"
        case .int64: return "int64"
        }
    }
}

/// A dense, row-major tensor that owns its elements. Used for weights, constants and
/// graph inputs/outputs; the executor works on planned buffers, not on `Tensor`s.
public struct Tensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case int64([Int64])
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) elements")
        self.shape = shape
        self.storage = .float32(floats)
    }

    public init(shape: [Int], ints: [Int64]) {
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) does not hold \(ints.count) elements")
        self.shape = shape
        self.storage = .int64(ints)
    }

    /// A float tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, floats: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var dataType: DataType {
        switch storage {
        case .float32: return .float32
        case .int64: return .int64
        }
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// Elements as floats (int64 values are converted).
    public var floats: [Float] {
        switch storage {
        case .float32(let values): return values
        case .int64(let values): return values.map { Float($0) }
        }
    }

    /// Elements as int64 (float values are truncated toward zero, as ONNX Cast does).
    public var ints: [Int64] {
        switch storage {
        case .int64(let values): return values
        case .float32(let values): return values.map { Int64(clampingToInt64: $0) }
        }
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count)
        var copy = self
        copy.shape = newShape
        return copy
    }
}

extension Int64 {
    /// Float to int64 without trapping on NaN or out-of-range values.
    init(clampingToInt64 value: Float) {
        if value.isNaN { self = 0 }
        else if value >= 9.2e18 { self = .max }
        else if value <= -9.2e18 { self = .min }
        else { self = Int64(value) }
    }
}

extension Array where Element == Int {
    /// Row-major strides of a shape.
    var stridesRowMajor: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var running = 1
        for axis in stride(from: count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= self[axis]
        }
        return strides
    }
}
