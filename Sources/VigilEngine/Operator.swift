/// Which axis order a spatial operator's logical input uses. ONNX graphs are NCHW, TFLite
/// graphs NHWC; kernels always run channels-last, and the planner places the transposes.
public enum SpatialLayout: Sendable, Equatable {
    case nchw
    case nhwc

    /// Logical axis indices of N, H, W, C.
    var axesNHWC: [Int] {
        switch self {
        case .nchw: return [0, 2, 3, 1]
        case .nhwc: return [0, 1, 2, 3]
        }
    }
}

/// Element-wise activation, fused into the producing operator where possible.
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case clip(min: Float, max: Float)
    case leakyRelu(alpha: Float)
    case sigmoid
    case tanh
    /// max(0, min(1, alpha * x + beta))
    case hardSigmoid(alpha: Float, beta: Float)
    /// x * relu6(x + 3) / 6
    case hardSwish
    /// x * sigmoid(x)
    case silu
}

/// Element-wise binary operators with NumPy broadcasting.
public enum BinaryOperator: Sendable, Equatable {
    case add, sub, mul, div, pow, max, min
    /// `a` where `a ≥ 0`, else `a · b` (PRelu with `b` the slope).
    case prelu
}

/// How a spatial operator pads its input.
public enum Padding: Sendable, Equatable {
    /// Explicit pads: top, left, bottom, right.
    case explicit(top: Int, left: Int, bottom: Int, right: Int)
    /// ONNX SAME_UPPER / TFLite SAME: extra padding goes to the end.
    case sameUpper
    /// ONNX SAME_LOWER: extra padding goes to the beginning.
    case sameLower

    static let zero = Padding.explicit(top: 0, left: 0, bottom: 0, right: 0)

    /// Resolves pads for one spatial axis: (before, after).
    func resolve(axis: Int, inputSize: Int, kernel: Int, stride: Int, dilation: Int) -> (Int, Int) {
        switch self {
        case .explicit(let top, let left, let bottom, let right):
            return axis == 0 ? (top, bottom) : (left, right)
        case .sameUpper, .sameLower:
            // Output size is ceil(input / stride); the total pad makes that true.
            let output = (inputSize + stride - 1) / stride
            let effectiveKernel = (kernel - 1) * dilation + 1
            let total = Swift.max(0, (output - 1) * stride + effectiveKernel - inputSize)
            let small = total / 2
            return self == .sameUpper ? (small, total - small) : (total - small, small)
        }
    }
}

/// Attributes of a 2-D convolution. Weights are input 1 in OIHW order `[Cout, Cin/groups, KH, KW]`,
/// the optional bias input 2 is `[Cout]`.
public struct Conv2DAttributes: Sendable, Equatable {
    public var layout: SpatialLayout
    public var kernel: (h: Int, w: Int)
    public var strides: (h: Int, w: Int)
    public var dilations: (h: Int, w: Int)
    public var padding: Padding
    public var groups: Int
    public var activation: Activation

    public static func == (a: Self, b: Self) -> Bool {
        a.layout == b.layout && a.kernel == b.kernel && a.strides == b.strides && a.dilations == b.dilations
            && a.padding == b.padding && a.groups == b.groups && a.activation == b.activation
    }
}

/// Attributes of a 2-D transposed convolution. Weights are input 1 in `[Cin, Cout/groups, KH, KW]`.
public struct ConvTranspose2DAttributes: Sendable, Equatable {
    public var layout: SpatialLayout
    public var kernel: (h: Int, w: Int)
    public var strides: (h: Int, w: Int)
    public var dilations: (h: Int, w: Int)
    /// Pads removed from the full output: top, left, bottom, right.
    public var pads: (top: Int, left: Int, bottom: Int, right: Int)
    public var outputPadding: (h: Int, w: Int)
    public var groups: Int
    public var activation: Activation

    public static func == (a: Self, b: Self) -> Bool {
        a.layout == b.layout && a.kernel == b.kernel && a.strides == b.strides && a.dilations == b.dilations
            && a.pads == b.pads && a.outputPadding == b.outputPadding && a.groups == b.groups
            && a.activation == b.activation
    }
}

/// Attributes of max and average pooling.
public struct Pool2DAttributes: Sendable, Equatable {
    public var layout: SpatialLayout
    public var kernel: (h: Int, w: Int)
    public var strides: (h: Int, w: Int)
    public var padding: Padding
    public var ceilMode: Bool
    /// Average pooling only: whether padded cells count in the divisor.
    public var countIncludePad: Bool

    public static func == (a: Self, b: Self) -> Bool {
        a.layout == b.layout && a.kernel == b.kernel && a.strides == b.strides && a.padding == b.padding
            && a.ceilMode == b.ceilMode && a.countIncludePad == b.countIncludePad
    }
}

/// Attributes of Resize (ONNX semantics; TFLite RESIZE_BILINEAR maps onto them).
public struct ResizeAttributes: Sendable, Equatable {
    public enum Mode: Sendable, Equatable { case nearest, linear }
    public enum CoordinateTransform: Sendable, Equatable {
        case halfPixel, pytorchHalfPixel, alignCorners, asymmetric, tfHalfPixelForNN
    }
    public enum NearestRounding: Sendable, Equatable { case roundPreferFloor, roundPreferCeil, floor, ceil }

    public var mode: Mode
    public var coordinateTransform: CoordinateTransform
    public var nearestRounding: NearestRounding
    /// Axis order of the input: the spatial axes are H and W of this layout.
    public var layout: SpatialLayout = .nchw
}

/// The operator of a graph node: one case per operator, with its attributes.
///
/// Inputs are listed per case; optional inputs may be absent (`nil` in `Node.inputs`).
/// Axes are in the node's logical (format) order.
public enum Operator: Sendable, Equatable {
    /// inputs: X, W `[Cout, Cin/g, KH, KW]`, B? `[Cout]`
    case conv2D(Conv2DAttributes)
    /// inputs: X, W `[Cin, Cout/g, KH, KW]`, B? `[Cout]`
    case convTranspose2D(ConvTranspose2DAttributes)
    /// inputs: X, scale, bias, mean, variance (all `[C]`)
    case batchNormalization(epsilon: Float, layout: SpatialLayout)
    /// inputs: X
    case activation(Activation)
    /// inputs: X, slope (broadcast to X)
    case prelu
    /// inputs: A, B (broadcast)
    case binary(BinaryOperator)
    /// inputs: X
    case maxPool2D(Pool2DAttributes)
    /// inputs: X
    case averagePool2D(Pool2DAttributes)
    /// inputs: X; output keeps the spatial dims as 1
    case globalAveragePool(layout: SpatialLayout)
    /// inputs: X, axes? (int64); mean over axes
    case reduceMean(keepDims: Bool)
    /// inputs: X...
    case concat(axis: Int)
    /// inputs: X, split? (int64 sizes); `outputs` equal parts when split is absent
    case split(axis: Int)
    /// inputs: data, starts, ends, axes?, steps?
    case slice
    /// inputs: data, shape (int64)
    case reshape(allowZero: Bool)
    case transpose(perm: [Int])
    case flatten(axis: Int)
    /// inputs: data, axes? (int64)
    case squeeze
    /// inputs: data, axes (int64)
    case unsqueeze
    /// inputs: X, roi?, scales?, sizes?
    case resize(ResizeAttributes)
    /// inputs: data, pads (int64, ONNX order: all begins then all ends), constant value?
    case pad(mode: PadMode)
    case softmax(axis: Int)
    /// inputs: A, B
    case matMul
    /// inputs: A, B, C?
    case gemm(alpha: Float, beta: Float, transA: Bool, transB: Bool)
    case shape(start: Int, end: Int?)
    /// inputs: data, indices
    case gather(axis: Int)
    /// inputs: start, limit, delta
    case range
    /// inputs: input, shape
    case expand
    /// inputs: shape
    case constantOfShape(value: Tensor)
    case cast(to: DataType)
    case identity
    case depthToSpace(blockSize: Int, columnRowDepth: Bool, layout: SpatialLayout)

    public enum PadMode: Sendable, Equatable { case constant, reflect, edge }

    /// The operator's name as it appears in error messages and profiles.
    public var name: String {
        switch self {
        case .conv2D: return "Conv"
        case .convTranspose2D: return "ConvTranspose"
        case .batchNormalization: return "BatchNormalization"
        case .activation(let a): return "\(a)"
        case .prelu: return "PRelu"
        case .binary(let b): return "\(b)"
        case .maxPool2D: return "MaxPool"
        case .averagePool2D: return "AveragePool"
        case .globalAveragePool: return "GlobalAveragePool"
        case .reduceMean: return "ReduceMean"
        case .concat: return "Concat"
        case .split: return "Split"
        case .slice: return "Slice"
        case .reshape: return "Reshape"
        case .transpose: return "Transpose"
        case .flatten: return "Flatten"
        case .squeeze: return "Squeeze"
        case .unsqueeze: return "Unsqueeze"
        case .resize: return "Resize"
        case .pad: return "Pad"
        case .softmax: return "Softmax"
        case .matMul: return "MatMul"
        case .gemm: return "Gemm"
        case .shape: return "Shape"
        case .gather: return "Gather"
        case .range: return "Range"
        case .expand: return "Expand"
        case .constantOfShape: return "ConstantOfShape"
        case .cast: return "Cast"
        case .identity: return "Identity"
        case .depthToSpace: return "DepthToSpace"
        }
    }
}
