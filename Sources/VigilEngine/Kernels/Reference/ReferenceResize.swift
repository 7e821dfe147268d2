import Foundation

/// Naive ONNX Resize (nearest and linear over the last two axes of NCHW, or H and W of NHWC).
enum ReferenceResize {
    /// Maps an output coordinate to the input coordinate space.
    static func sourceCoordinate(_ out: Int, scale: Float, inSize: Int, outSize: Int,
                                 _ transform: ResizeAttributes.CoordinateTransform) -> Float {
        let x = Float(out)
        switch transform {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return outSize > 1 ? (x + 0.5) / scale - 0.5 : 0
        case .alignCorners: return outSize > 1 ? x * Float(inSize - 1) / Float(outSize - 1) : 0
        case .asymmetric: return x / scale
        case .tfHalfPixelForNN: return (x + 0.5) / scale
        }
    }

    static func nearestIndex(_ coordinate: Float, inSize: Int, _ rounding: ResizeAttributes.NearestRounding) -> Int {
        let i: Int
        switch rounding {
        case .roundPreferFloor: i = coordinate == coordinate.rounded(.down) + 0.5 ? Int(coordinate.rounded(.down)) : Int(coordinate.rounded())
        case .roundPreferCeil: i = Int(coordinate.rounded(.toNearestOrAwayFromZero) == coordinate.rounded(.down) + 0.5 ? coordinate.rounded(.up) : coordinate.rounded())
        case .floor: i = Int(coordinate.rounded(.down))
        case .ceil: i = Int(coordinate.rounded(.up))
        }
        return min(max(i, 0), inSize - 1)
    }

    /// Resizes axes H, W of `input` to `outH`, `outW` using `scaleH`, `scaleW` for coordinates.
    static func resize(_ input: Tensor, layout: SpatialLayout, outH: Int, outW: Int, scaleH: Float, scaleW: Float,
                       _ a: ResizeAttributes) throws -> Tensor {
        let x = ReferenceConvolution.toNCHW(input, layout)
        guard x.rank == 4 else { throw ReferenceError.invalid("Resize supports 4-D inputs") }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let xs = x.floats
        var out = [Float](repeating: 0, count: n * c * outH * outW)
        for plane in 0..<(n * c) {
            for oy in 0..<outH {
                let sy = sourceCoordinate(oy, scale: scaleH, inSize: h, outSize: outH, a.coordinateTransform)
                for ox in 0..<outW {
                    let sx = sourceCoordinate(ox, scale: scaleW, inSize: w, outSize: outW, a.coordinateTransform)
                    let value: Float
                    switch a.mode {
                    case .nearest:
                        let iy = nearestIndex(sy, inSize: h, a.nearestRounding)
                        let ix = nearestIndex(sx, inSize: w, a.nearestRounding)
                        value = xs[(plane * h + iy) * w + ix]
                    case .linear:
                        let cy = min(max(sy, 0), Float(h - 1)), cx = min(max(sx, 0), Float(w - 1))
                        let y0 = Int(cy.rounded(.down)), x0 = Int(cx.rounded(.down))
                        let y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1)
                        let fy = cy - Float(y0), fx = cx - Float(x0)
                        let p = plane * h * w
                        let top = xs[p + y0 * w + x0] * (1 - fx) + xs[p + y0 * w + x1] * fx
                        let bottom = xs[p + y1 * w + x0] * (1 - fx) + xs[p + y1 * w + x1] * fx
                        value = top * (1 - fy) + bottom * fy
                    }
                    out[(plane * outH + oy) * outW + ox] = value
                }
            }
        }
        return ReferenceConvolution.fromNCHW(Tensor(shape: [n, c, outH, outW], floats: out), layout)
    }
}
