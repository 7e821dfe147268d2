/// Sizes of one 2-D convolution over channels-last data, resolved at plan time.
struct ConvolutionGeometry: Sendable {
    var batch: Int
    var inputHeight: Int, inputWidth: Int, inputChannels: Int
    var outputHeight: Int, outputWidth: Int, outputChannels: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideH: Int, strideW: Int
    var dilationH: Int, dilationW: Int
    var padTop: Int, padLeft: Int
    var groups: Int

    var inputChannelsPerGroup: Int { inputChannels / groups }
    var outputChannelsPerGroup: Int { outputChannels / groups }

    init(inputNHWC s: [Int], outputChannels: Int, _ a: Conv2DAttributes) {
        batch = s[0]; inputHeight = s[1]; inputWidth = s[2]; inputChannels = s[3]
        kernelHeight = a.kernel.h; kernelWidth = a.kernel.w
        strideH = a.strides.h; strideW = a.strides.w
        dilationH = a.dilations.h; dilationW = a.dilations.w
        let (pt, pb) = a.padding.resolve(axis: 0, inputSize: inputHeight, kernel: kernelHeight, stride: strideH, dilation: dilationH)
        let (pl, pr) = a.padding.resolve(axis: 1, inputSize: inputWidth, kernel: kernelWidth, stride: strideW, dilation: dilationW)
        padTop = pt; padLeft = pl
        outputHeight = (inputHeight + pt + pb - (kernelHeight - 1) * dilationH - 1) / strideH + 1
        outputWidth = (inputWidth + pl + pr - (kernelWidth - 1) * dilationW - 1) / strideW + 1
        self.outputChannels = outputChannels
        groups = a.groups
    }
}

/// A planned convolution's sizes as benchmarks and other tools see them (`vigil bench --steps`):
/// input `n×h×w×cin` channels-last, output `oh×ow×cout`, pads top, left, bottom, right (bottom
/// and right as far as the output reaches, so never negative), dilations as factors (1: none).
public struct ConvolutionShape: Sendable, Codable, Equatable {
    public var n: Int, h: Int, w: Int, cin: Int
    public var cout: Int, oh: Int, ow: Int
    public var kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int
    public var pt: Int, pl: Int, pb: Int, pr: Int
    public var groups: Int
    /// The fused activation: identity, relu, clip, leakyRelu, sigmoid, tanh, hardSigmoid, hardSwish, silu.
    public var activation: String
}

extension ConvolutionGeometry {
    func shape(activation: Activation) -> ConvolutionShape {
        let pb = max(0, (outputHeight - 1) * strideH + (kernelHeight - 1) * dilationH + 1 - inputHeight - padTop)
        let pr = max(0, (outputWidth - 1) * strideW + (kernelWidth - 1) * dilationW + 1 - inputWidth - padLeft)
        return ConvolutionShape(n: batch, h: inputHeight, w: inputWidth, cin: inputChannels,
                                cout: outputChannels, oh: outputHeight, ow: outputWidth,
                                kh: kernelHeight, kw: kernelWidth, sh: strideH, sw: strideW, dh: dilationH, dw: dilationW,
                                pt: padTop, pl: padLeft, pb: pb, pr: pr, groups: groups, activation: activation.name)
    }
}

extension Activation {
    /// The case's name, without parameters.
    var name: String {
        switch self {
        case .identity: "identity"
        case .relu: "relu"
        case .clip: "clip"
        case .leakyRelu: "leakyRelu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .hardSigmoid: "hardSigmoid"
        case .hardSwish: "hardSwish"
        case .silu: "silu"
        }
    }
}
