/// Naive convolutions on logical tensors: the oracle for the fast kernels.
/// They compute in NCHW; NHWC inputs are transposed in and out.
enum ReferenceConvolution {
    /// Attributes must agree with the weights (ONNX: kernel_shape is W's spatial shape); strides
    /// and dilations are divisors and steps, so positive; a bias has one value per output channel.
    static func checkGeometry(_ op: String, kernel: (h: Int, w: Int), weights: (Int, Int), strides: (h: Int, w: Int),
                              dilations: (h: Int, w: Int), bias: Tensor?, channels: Int) throws {
        guard kernel.h == weights.0, kernel.w == weights.1, kernel.h > 0, kernel.w > 0 else {
            throw ReferenceError.invalid("\(op) kernel \(kernel) does not match weights \(weights)")
        }
        guard min(strides.h, strides.w, dilations.h, dilations.w) > 0 else {
            throw ReferenceError.invalid("\(op) strides \(strides) and dilations \(dilations) must be positive")
        }
        if let bias, bias.count != channels { throw ReferenceError.invalid("\(op) bias has \(bias.count) values for \(channels) channels") }
    }

    static func toNCHW(_ x: Tensor, _ layout: SpatialLayout) -> Tensor {
        layout == .nchw ? x : ReferenceDataMovement.transpose(x, perm: [0, 3, 1, 2])
    }

    static func fromNCHW(_ x: Tensor, _ layout: SpatialLayout) -> Tensor {
        layout == .nchw ? x : ReferenceDataMovement.transpose(x, perm: [0, 2, 3, 1])
    }

    /// input: X `[N, C, H, W]` (or NHWC per `layout`), W `[Cout, Cin/g, KH, KW]`, B `[Cout]`.
    static func conv2D(_ input: Tensor, weights: Tensor, bias: Tensor?, _ a: Conv2DAttributes) throws -> Tensor {
        guard input.rank == 4, weights.rank == 4 else { throw ReferenceError.invalid("Conv needs 4-D input and weights") }
        let x = toNCHW(input, a.layout)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (co, cig, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        let g = a.groups
        guard g > 0, c == cig * g, co % g == 0 else {
            throw ReferenceError.invalid("Conv input channels \(c) do not match weights \(weights.shape) with \(g) groups")
        }
        try checkGeometry("Conv", kernel: a.kernel, weights: (kh, kw), strides: a.strides, dilations: a.dilations, bias: bias, channels: co)
        let (padTop, padBottom) = a.padding.resolve(axis: 0, inputSize: h, kernel: kh, stride: a.strides.h, dilation: a.dilations.h)
        let (padLeft, padRight) = a.padding.resolve(axis: 1, inputSize: w, kernel: kw, stride: a.strides.w, dilation: a.dilations.w)
        let oh = (h + padTop + padBottom - (kh - 1) * a.dilations.h - 1) / a.strides.h + 1
        let ow = (w + padLeft + padRight - (kw - 1) * a.dilations.w - 1) / a.strides.w + 1
        guard oh > 0, ow > 0 else { throw ReferenceError.invalid("Conv output would be empty") }
        let xs = x.floats, ws = weights.floats, bs = bias?.floats
        let cog = co / g
        var out = [Float](repeating: 0, count: n * co * oh * ow)
        for b in 0..<n {
            for oc in 0..<co {
                let group = oc / cog
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum: Float = bs?[oc] ?? 0
                        for ic in 0..<cig {
                            let inChannel = group * cig + ic
                            for ky in 0..<kh {
                                let iy = oy * a.strides.h - padTop + ky * a.dilations.h
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<kw {
                                    let ix = ox * a.strides.w - padLeft + kx * a.dilations.w
                                    if ix < 0 || ix >= w { continue }
                                    sum += xs[((b * c + inChannel) * h + iy) * w + ix] * ws[((oc * cig + ic) * kh + ky) * kw + kx]
                                }
                            }
                        }
                        out[((b * co + oc) * oh + oy) * ow + ox] = ReferenceElementwise.apply(a.activation, sum)
                    }
                }
            }
        }
        return fromNCHW(Tensor(shape: [n, co, oh, ow], floats: out), a.layout)
    }

    /// input: X `[N, Cin, H, W]` (or NHWC), W `[Cin, Cout/g, KH, KW]`, B `[Cout]`.
    static func convTranspose2D(_ input: Tensor, weights: Tensor, bias: Tensor?, _ a: ConvTranspose2DAttributes) throws -> Tensor {
        guard input.rank == 4, weights.rank == 4 else { throw ReferenceError.invalid("ConvTranspose needs 4-D input and weights") }
        let x = toNCHW(input, a.layout)
        let (n, ci, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (wci, cog, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        let g = a.groups
        guard g > 0, wci == ci, ci % g == 0 else { throw ReferenceError.invalid("ConvTranspose channels \(ci) do not match weights \(weights.shape)") }
        try checkGeometry("ConvTranspose", kernel: a.kernel, weights: (kh, kw), strides: a.strides, dilations: a.dilations, bias: bias, channels: cog * g)
        guard min(a.pads.top, a.pads.left, a.pads.bottom, a.pads.right, a.outputPadding.h, a.outputPadding.w) >= 0 else {
            throw ReferenceError.invalid("ConvTranspose pads \(a.pads) and output padding \(a.outputPadding) must not be negative")
        }
        let co = cog * g
        let cig = ci / g
        let fullH = (h - 1) * a.strides.h + (kh - 1) * a.dilations.h + 1 + a.outputPadding.h
        let fullW = (w - 1) * a.strides.w + (kw - 1) * a.dilations.w + 1 + a.outputPadding.w
        let oh = fullH - a.pads.top - a.pads.bottom
        let ow = fullW - a.pads.left - a.pads.right
        guard oh > 0, ow > 0 else { throw ReferenceError.invalid("ConvTranspose output would be empty") }
        let xs = x.floats, ws = weights.floats
        var out = [Float](repeating: 0, count: n * co * oh * ow)
        for b in 0..<n {
            for ic in 0..<ci {
                let group = ic / cig
                for iy in 0..<h {
                    for ix in 0..<w {
                        let v = xs[((b * ci + ic) * h + iy) * w + ix]
                        for o in 0..<cog {
                            let oc = group * cog + o
                            for ky in 0..<kh {
                                let oy = iy * a.strides.h + ky * a.dilations.h - a.pads.top
                                if oy < 0 || oy >= oh { continue }
                                for kx in 0..<kw {
                                    let ox = ix * a.strides.w + kx * a.dilations.w - a.pads.left
                                    if ox < 0 || ox >= ow { continue }
                                    out[((b * co + oc) * oh + oy) * ow + ox] += v * ws[((ic * cog + o) * kh + ky) * kw + kx]
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias = bias?.floats {
            for b in 0..<n { for oc in 0..<co { for i in 0..<(oh * ow) { out[(b * co + oc) * oh * ow + i] += bias[oc] } } }
        }
        if a.activation != .identity { out = out.map { ReferenceElementwise.apply(a.activation, $0) } }
        return fromNCHW(Tensor(shape: [n, co, oh, ow], floats: out), a.layout)
    }
}
