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
