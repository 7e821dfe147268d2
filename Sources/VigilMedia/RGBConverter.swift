import CFFmpeg

/// Converts frames to packed 8-bit RGB (or BGR) of a given size with libswscale.
///
/// The `SwsContext` and the output buffer are reused until the source geometry,
/// pixel format or colour description changes, so steady-state conversion allocates
/// nothing. Not thread-safe: one converter per stage.
final class RGBConverter {
    /// What the `SwsContext` was built for; a change rebuilds it.
    private struct Key: Equatable {
        var sourceWidth: Int32
        var sourceHeight: Int32
        var sourceFormat: Int32
        var colorspace: Int32
        var fullRange: Bool
        var width: Int
        var height: Int
    }

    /// `AV_PIX_FMT_RGB24` or `AV_PIX_FMT_BGR24`.
    let pixelFormat: AVPixelFormat
    /// Bytes between rows of the output; 64-byte aligned so swscale's SIMD paths apply.
    let stride: Int
    private let maxWidth: Int
    private let maxHeight: Int
    private let buffer: UnsafeMutablePointer<UInt8>
    private let planes: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    private let strides: UnsafeMutablePointer<Int32>
    private var context: OpaquePointer?
    private var key: Key?

    /// Output sizes up to `maxWidth × maxHeight` reuse one buffer.
    init(maxWidth: Int, maxHeight: Int, pixelFormat: AVPixelFormat) {
        precondition(maxWidth > 0 && maxHeight > 0, "converter size must be positive")
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.pixelFormat = pixelFormat
        stride = (maxWidth * 3 + 63) & ~63
        // Slack after the last row: swscale's x86 packed-RGB writers work in blocks of
        // pixels and may touch a few bytes past the nominal row end.
        let byteCount = stride * maxHeight + 256
        guard let raw = av_malloc(byteCount) else { fatalError("av_malloc(\(byteCount)): out of memory") }
        buffer = raw.bindMemory(to: UInt8.self, capacity: byteCount)
        planes = .allocate(capacity: 4)
        planes.initialize(repeating: nil, count: 4)
        planes[0] = buffer
        strides = .allocate(capacity: 4)
        strides.initialize(repeating: 0, count: 4)
        strides[0] = Int32(stride)
    }

    deinit {
        sws_freeContext(context)
        av_free(buffer)
        planes.deallocate()
        strides.deallocate()
    }

    /// Converts `frame` to `width × height` packed RGB; the result is valid until the next call.
    func convert(_ frame: VideoFrame, width: Int, height: Int) throws -> (base: UnsafePointer<UInt8>, stride: Int) {
        precondition(width > 0 && width <= maxWidth && height > 0 && height <= maxHeight,
                     "output \(width)x\(height) exceeds the converter's \(maxWidth)x\(maxHeight)")
        let source = frame.avFrame
        let colour = Self.colourDescription(of: source.pointee)
        let wanted = Key(sourceWidth: source.pointee.width, sourceHeight: source.pointee.height,
                         sourceFormat: source.pointee.format, colorspace: colour.colorspace,
                         fullRange: colour.fullRange, width: width, height: height)
        if key != wanted {
            sws_freeContext(context)
            context = nil
            key = nil
            guard let created = sws_getContext(wanted.sourceWidth, wanted.sourceHeight,
                                               AVPixelFormat(rawValue: wanted.sourceFormat),
                                               Int32(width), Int32(height), pixelFormat,
                                               SWS_BILINEAR, nil, nil, nil) else {
                throw MediaError.conversionFailed(
                    frameIndex: frame.index,
                    reason: "libswscale cannot convert \(frame.pixelFormatName) \(frame.width)x\(frame.height) to \(width)x\(height) RGB")
            }
            if colour.isYUV {
                // swscale assumes BT.601 limited range unless told; HD video is BT.709 and
                // JPEG-style sources are full range, and both would come out with shifted colours.
                _ = sws_setColorspaceDetails(created, sws_getCoefficients(colour.colorspace), colour.fullRange ? 1 : 0,
                                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)
            }
            context = created
            key = wanted
        }
        // Copies of the plane-pointer and stride arrays (on the stack): the frame itself is
        // only read, which is what lets `VideoFrame` be shared across threads.
        let rows = withUnsafePointer(to: source.pointee.data) { data in
            data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                withUnsafePointer(to: source.pointee.linesize) { linesize in
                    linesize.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                        sws_scale(context, sourcePlanes, sourceStrides, 0, source.pointee.height, planes, strides)
                    }
                }
            }
        }
        guard rows == Int32(height) else {
            throw MediaError.conversionFailed(
                frameIndex: frame.index,
                reason: rows < 0 ? ffmpegErrorString(rows) : "libswscale wrote \(rows) of \(height) rows")
        }
        return (UnsafePointer(buffer), stride)
    }

    /// The swscale colourspace (an `SWS_CS_*` value) and range of a frame.
    private static func colourDescription(of frame: AVFrame) -> (isYUV: Bool, colorspace: Int32, fullRange: Bool) {
        let format = AVPixelFormat(rawValue: frame.format)
        guard let descriptor = av_pix_fmt_desc_get(format) else { return (false, SWS_CS_DEFAULT, false) }
        let isYUV = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0 && descriptor.pointee.nb_components >= 3
        let fullRange: Bool
        switch format {
        case AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P, AV_PIX_FMT_YUVJ411P:
            fullRange = true  // the deprecated yuvj* formats mean full range without setting color_range
        default:
            fullRange = frame.color_range == AVCOL_RANGE_JPEG
        }
        let colorspace: Int32
        if frame.colorspace == AVCOL_SPC_UNSPECIFIED || frame.colorspace == AVCOL_SPC_RGB {
            // Untagged: the convention players follow is BT.709 for HD, BT.601 below.
            colorspace = frame.height >= 720 ? SWS_CS_ITU709 : SWS_CS_DEFAULT
        } else {
            // SWS_CS_* values are the AVColorSpace values; sws_getCoefficients falls back
            // to BT.601 for anything it does not know.
            colorspace = Int32(frame.colorspace.rawValue)
        }
        return (isYUV, colorspace, fullRange)
    }
}
