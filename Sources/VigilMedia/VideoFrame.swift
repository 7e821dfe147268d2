import CFFmpeg

/// One decoded picture, in the decoder's native pixel format (usually YUV 4:2:0).
///
/// The frame keeps the decoder's reference-counted `AVFrame` and converts on demand:
/// the usual consumer is `Scaler`, which goes from YUV straight to the network's input
/// size in one libswscale pass, so an eager full-size RGB copy would be wasted work on
/// every frame. `rgb24()` is there for sinks, tests and debugging.
///
/// Immutable after creation, hence `Sendable`: FFmpeg's buffer reference counts are
/// atomic, so a frame may be read and released on any thread.
public final class VideoFrame: @unchecked Sendable {
    /// Position in decode output order, from 0.
    public let index: Int
    /// Presentation time in seconds: `best_effort_timestamp × time_base`, as in the
    /// container (not rebased to start at zero).
    public let pts: Double
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int

    /// Owned; freed in `deinit`.
    let avFrame: UnsafeMutablePointer<AVFrame>

    /// Takes ownership of `avFrame`.
    init(taking avFrame: UnsafeMutablePointer<AVFrame>, index: Int, pts: Double) {
        self.avFrame = avFrame
        self.index = index
        self.pts = pts
        self.width = Int(avFrame.pointee.width)
        self.height = Int(avFrame.pointee.height)
    }

    /// Wraps packed RGB24 pixels (row-major, `width × 3` bytes a row) as a frame, for
    /// still images and synthetic test patterns. Copies the bytes.
    public convenience init(rgb24 pixels: [UInt8], width: Int, height: Int, index: Int = 0, pts: Double = 0) {
        precondition(width > 0 && height > 0, "frame size must be positive, got \(width)x\(height)")
        precondition(pixels.count == width * height * 3, "expected \(width * height * 3) RGB24 bytes, got \(pixels.count)")
        guard let frame = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0, let plane = frame.pointee.data.0 else {
            fatalError("av_frame_get_buffer: out of memory for a \(width)x\(height) frame")
        }
        let stride = Int(frame.pointee.linesize.0)
        pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                (plane + y * stride).update(from: source.baseAddress! + y * width * 3, count: width * 3)
            }
        }
        self.init(taking: frame, index: index, pts: pts)
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = avFrame
        av_frame_free(&frame)
    }

    /// FFmpeg's name for the pixel format, e.g. "yuv420p".
    public var pixelFormatName: String {
        guard let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: avFrame.pointee.format)) else { return "unknown" }
        return String(cString: name)
    }

    /// The picture as packed RGB24, `width × height × 3` bytes, row-major.
    ///
    /// Allocates a converter and the result on every call: fine for sinks and tests,
    /// use `Scaler` on the per-frame path.
    public func rgb24() throws -> [UInt8] {
        let converter = RGBConverter(maxWidth: width, maxHeight: height, pixelFormat: AV_PIX_FMT_RGB24)
        let rows = try converter.convert(self, width: width, height: height)
        var result = [UInt8](repeating: 0, count: width * height * 3)
        result.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                (out.baseAddress! + y * width * 3).update(from: rows.base + y * rows.stride, count: width * 3)
            }
        }
        return result
    }
}
