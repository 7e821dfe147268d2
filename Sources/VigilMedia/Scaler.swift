import CFFmpeg

/// Turns decoded frames into a network's float input: resize (stretch or letterbox),
/// colour-convert, normalise, and lay out as NHWC or NCHW.
///
/// The `SwsContext` and the intermediate 8-bit RGB buffer are built once and reused,
/// and the caller owns the output, so steady-state scaling allocates nothing.
/// Not thread-safe: one scaler per stage.
public final class Scaler {
    /// How the source fills the target.
    public enum Mode: Hashable, Sendable {
        /// Fill the target exactly, ignoring the aspect ratio.
        case stretch
        /// Keep the aspect ratio and pad with `padding`, a pixel value in 0...255 that is
        /// normalised like the picture (114 is YOLO's grey).
        case letterbox(padding: Float)
    }

    /// Memory order of the output tensor (batch of one).
    public enum Layout: Hashable, Sendable {
        /// `[1, H, W, 3]`: channels interleaved per pixel.
        case nhwc
        /// `[1, 3, H, W]`: one plane per channel.
        case nchw
    }

    /// Order of the three channels in the output.
    public enum ChannelOrder: Hashable, Sendable {
        /// Red, green, blue (most PyTorch-trained models).
        case rgb
        /// Blue, green, red (models trained through OpenCV).
        case bgr
    }

    /// Per-channel affine map `value × scale + offset`, applied to 0...255 pixel values,
    /// in output channel order.
    public struct Normalization: Hashable, Sendable {
        /// Multiplier per output channel.
        public var scale: SIMD3<Float>
        /// Added after scaling, per output channel.
        public var offset: SIMD3<Float>

        /// `value × scale + offset` per channel.
        public init(scale: SIMD3<Float>, offset: SIMD3<Float>) {
            self.scale = scale
            self.offset = offset
        }

        /// `(value / 255 − mean) / std`, the torchvision convention; mean and std in 0...1 units.
        public static func meanStd(mean: SIMD3<Float>, std: SIMD3<Float>) -> Normalization {
            Normalization(scale: 1 / (255 * std), offset: -mean / std)
        }

        /// Raw 0...255 values.
        public static let none = Normalization(scale: .one, offset: .zero)
        /// 0...1 values (YOLO family).
        public static let unitRange = Normalization(scale: SIMD3(repeating: 1 / 255), offset: .zero)
        /// ImageNet mean and standard deviation, RGB order.
        public static let imageNet = meanStd(mean: SIMD3(0.485, 0.456, 0.406), std: SIMD3(0.229, 0.224, 0.225))
    }

    /// Output width in pixels.
    public let width: Int
    /// Output height in pixels.
    public let height: Int
    /// Stretch or letterbox.
    public let mode: Mode
    /// NHWC or NCHW.
    public let layout: Layout
    /// Per-channel normalisation.
    public let normalization: Normalization
    /// RGB or BGR.
    public let channelOrder: ChannelOrder
    /// Floats `scale(_:into:)` writes: `3 × width × height`.
    public var outputCount: Int { 3 * width * height }

    private let converter: RGBConverter

    /// Creates a scaler to `width × height`.
    public init(width: Int, height: Int, mode: Mode = .letterbox(padding: 114), layout: Layout = .nchw,
                normalization: Normalization = .unitRange, channelOrder: ChannelOrder = .rgb) {
        precondition(width > 0 && height > 0, "scaler size must be positive, got \(width)x\(height)")
        self.width = width
        self.height = height
        self.mode = mode
        self.layout = layout
        self.normalization = normalization
        self.channelOrder = channelOrder
        // The content is never larger than the target, so one buffer of the target's size serves every frame.
        converter = RGBConverter(maxWidth: width, maxHeight: height,
                                 pixelFormat: channelOrder == .rgb ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24)
    }

    /// The geometry `scale(_:into:)` would use for a `sourceWidth × sourceHeight` frame.
    public func letterbox(sourceWidth: Int, sourceHeight: Int) -> Letterbox {
        switch mode {
        case .stretch:
            return .stretch(sourceWidth: sourceWidth, sourceHeight: sourceHeight, targetWidth: width, targetHeight: height)
        case .letterbox:
            return .fit(sourceWidth: sourceWidth, sourceHeight: sourceHeight, targetWidth: width, targetHeight: height)
        }
    }

    /// Writes `frame`, resized and normalised, into `output`.
    ///
    /// - Parameter output: `outputCount` floats, laid out as `[1, H, W, 3]` (NHWC) or
    ///   `[1, 3, H, W]` (NCHW); every element is written.
    /// - Returns: the geometry, to map detections back to source pixels.
    /// - Throws: `MediaError.conversionFailed` if libswscale cannot handle the frame's format.
    @discardableResult
    public func scale(_ frame: VideoFrame, into output: UnsafeMutableBufferPointer<Float>) throws -> Letterbox {
        precondition(output.count == outputCount, "output holds \(output.count) floats, the scaler writes \(outputCount)")
        let box = letterbox(sourceWidth: frame.width, sourceHeight: frame.height)
        let rgb = try converter.convert(frame, width: box.contentWidth, height: box.contentHeight)
        let padValue: Float
        if case .letterbox(let padding) = mode { padValue = padding } else { padValue = 0 }
        let pad = SIMD3<Float>(repeating: padValue) * normalization.scale + normalization.offset
        switch layout {
        case .nhwc: writeInterleaved(rgb, box, pad: pad, into: output.baseAddress!)
        case .nchw: writePlanar(rgb, box, pad: pad, into: output.baseAddress!)
        }
        return box
    }

    /// `[H, W, 3]`: padding and converted pixels written row by row, each element once.
    private func writeInterleaved(_ rgb: (base: UnsafePointer<UInt8>, stride: Int), _ box: Letterbox,
                                  pad: SIMD3<Float>, into output: UnsafeMutablePointer<Float>) {
        let (s0, s1, s2) = (normalization.scale.x, normalization.scale.y, normalization.scale.z)
        let (o0, o1, o2) = (normalization.offset.x, normalization.offset.y, normalization.offset.z)
        let contentEnd = box.offsetX + box.contentWidth
        // Scale and offset for floats 0–7, 8–15 and 16–23 of eight interleaved RGB pixels.
        let scale = (SIMD8<Float>(s0, s1, s2, s0, s1, s2, s0, s1), SIMD8<Float>(s2, s0, s1, s2, s0, s1, s2, s0),
                     SIMD8<Float>(s1, s2, s0, s1, s2, s0, s1, s2))
        let offset = (SIMD8<Float>(o0, o1, o2, o0, o1, o2, o0, o1), SIMD8<Float>(o2, o0, o1, o2, o0, o1, o2, o0),
                      SIMD8<Float>(o1, o2, o0, o1, o2, o0, o1, o2))
        @inline(__always) func floats(_ source: UnsafeRawPointer, _ part: Int) -> SIMD8<Float> {
            SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: 8 * part, as: SIMD8<UInt8>.self)))
        }
        for y in 0..<height {
            let row = output + y * width * 3
            let sourceRow = y - box.offsetY
            guard sourceRow >= 0, sourceRow < box.contentHeight else {
                for x in 0..<width { row[3 * x] = pad.x; row[3 * x + 1] = pad.y; row[3 * x + 2] = pad.z }
                continue
            }
            for x in 0..<box.offsetX { row[3 * x] = pad.x; row[3 * x + 1] = pad.y; row[3 * x + 2] = pad.z }
            let pixels = rgb.base + sourceRow * rgb.stride
            // Eight pixels (24 bytes, three vectors whose lanes cycle through R, G, B) at a time.
            let content = UnsafeMutableRawPointer(row + 3 * box.offsetX)
            var x = 0
            while x + 8 <= box.contentWidth {
                let source = UnsafeRawPointer(pixels + 3 * x)
                content.storeBytes(of: floats(source, 0) * scale.0 + offset.0, toByteOffset: 12 * x, as: SIMD8<Float>.self)
                content.storeBytes(of: floats(source, 1) * scale.1 + offset.1, toByteOffset: 12 * x + 32, as: SIMD8<Float>.self)
                content.storeBytes(of: floats(source, 2) * scale.2 + offset.2, toByteOffset: 12 * x + 64, as: SIMD8<Float>.self)
                x += 8
            }
            while x < box.contentWidth {
                let out = row + 3 * (box.offsetX + x)
                out[0] = Float(pixels[3 * x]) * s0 + o0
                out[1] = Float(pixels[3 * x + 1]) * s1 + o1
                out[2] = Float(pixels[3 * x + 2]) * s2 + o2
                x += 1
            }
            for x in contentEnd..<width { row[3 * x] = pad.x; row[3 * x + 1] = pad.y; row[3 * x + 2] = pad.z }
        }
    }

    /// `[3, H, W]`: one plane per channel, rows de-interleaved from the RGB buffer.
    private func writePlanar(_ rgb: (base: UnsafePointer<UInt8>, stride: Int), _ box: Letterbox,
                             pad: SIMD3<Float>, into output: UnsafeMutablePointer<Float>) {
        let plane = width * height
        let (s0, s1, s2) = (normalization.scale.x, normalization.scale.y, normalization.scale.z)
        let (o0, o1, o2) = (normalization.offset.x, normalization.offset.y, normalization.offset.z)
        let contentEnd = box.offsetX + box.contentWidth
        for y in 0..<height {
            let r = output + y * width, g = r + plane, b = g + plane
            let sourceRow = y - box.offsetY
            guard sourceRow >= 0, sourceRow < box.contentHeight else {
                r.update(repeating: pad.x, count: width)
                g.update(repeating: pad.y, count: width)
                b.update(repeating: pad.z, count: width)
                continue
            }
            r.update(repeating: pad.x, count: box.offsetX)
            g.update(repeating: pad.y, count: box.offsetX)
            b.update(repeating: pad.z, count: box.offsetX)
            let pixels = rgb.base + sourceRow * rgb.stride
            for x in 0..<box.contentWidth {
                r[box.offsetX + x] = Float(pixels[3 * x]) * s0 + o0
                g[box.offsetX + x] = Float(pixels[3 * x + 1]) * s1 + o1
                b[box.offsetX + x] = Float(pixels[3 * x + 2]) * s2 + o2
            }
            (r + contentEnd).update(repeating: pad.x, count: width - contentEnd)
            (g + contentEnd).update(repeating: pad.y, count: width - contentEnd)
            (b + contentEnd).update(repeating: pad.z, count: width - contentEnd)
        }
    }
}
