import CJPEG
import Foundation

/// Writes packed RGB24 pixels as baseline JPEG files with libjpeg, plus a box-drawing helper
/// for annotated snapshots.
///
/// Error handling: libjpeg reports errors through `error_exit`, which by default calls
/// `exit()`, and Swift cannot `longjmp` out of a replacement handler. So the writer makes
/// sure libjpeg never reaches an error path: it validates the size and buffer up front,
/// compresses into memory (`jpeg_mem_dest`, so libjpeg does no file I/O at all), and then
/// writes the bytes with stdio, throwing `MediaError.cannotWriteImage` for a
/// missing directory, permissions, a full disk, and so on. The only libjpeg failure left
/// is running out of memory.
public enum JPEGWriter {
    /// JPEG's own limit on either dimension.
    public static let maxDimension = 65_500

    /// Compresses `rgb24` (row-major, `width × 3` bytes a row) and writes it to `path`.
    /// - Parameter quality: 1…100 (clamped).
    /// - Throws: `MediaError.cannotWriteImage` for a bad size or buffer, or when the file cannot be written.
    public static func write(rgb24: [UInt8], width: Int, height: Int, quality: Int = 90, to path: String) throws {
        let data = try encode(rgb24: rgb24, width: width, height: height, quality: quality, path: path)
        guard let file = fopen(path, "wb") else {
            throw MediaError.cannotWriteImage(path: path, reason: String(cString: strerror(errno)))
        }
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let writeError = written == data.count ? 0 : errno
        if fclose(file) != 0 || writeError != 0 {
            let code = writeError != 0 ? writeError : errno
            unlink(path)  // no truncated JPEGs left behind
            throw MediaError.cannotWriteImage(path: path, reason: String(cString: strerror(code)))
        }
    }

    /// The JPEG bytes for `rgb24`, without touching the file system.
    /// - Throws: `MediaError.cannotWriteImage` (with `path` "<memory>") for a bad size or buffer.
    public static func encode(rgb24: [UInt8], width: Int, height: Int, quality: Int = 90) throws -> Data {
        try encode(rgb24: rgb24, width: width, height: height, quality: quality, path: "<memory>")
    }

    static func encode(rgb24: [UInt8], width: Int, height: Int, quality: Int, path: String) throws -> Data {
        guard width > 0, height > 0, width <= maxDimension, height <= maxDimension else {
            throw MediaError.cannotWriteImage(path: path, reason: "image size \(width)x\(height) is outside 1...\(maxDimension)")
        }
        guard rgb24.count == width * height * 3 else {
            throw MediaError.cannotWriteImage(path: path, reason: "expected \(width * height * 3) RGB24 bytes for \(width)x\(height), got \(rgb24.count)")
        }
        // libjpeg keeps pointers into these structs, so they must not move: heap-allocate them.
        let cinfo = UnsafeMutablePointer<jpeg_compress_struct>.allocate(capacity: 1)
        let jerr = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        defer { cinfo.deallocate(); jerr.deallocate() }
        cinfo.initialize(to: jpeg_compress_struct())
        jerr.initialize(to: jpeg_error_mgr())
        cinfo.pointee.err = jpeg_std_error(jerr)
        // jpeg_create_compress is a macro.
        jpeg_CreateCompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
        defer { jpeg_destroy_compress(cinfo) }

        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { free(buffer) }
        jpeg_mem_dest(cinfo, &buffer, &size)

        cinfo.pointee.image_width = JDIMENSION(width)
        cinfo.pointee.image_height = JDIMENSION(height)
        cinfo.pointee.input_components = 3
        cinfo.pointee.in_color_space = JCS_RGB
        jpeg_set_defaults(cinfo)
        jpeg_set_quality(cinfo, Int32(min(max(quality, 1), 100)), 1)
        jpeg_start_compress(cinfo, 1)
        rgb24.withUnsafeBufferPointer { pixels in
            // libjpeg takes non-const rows but does not write through them.
            let base = UnsafeMutablePointer(mutating: pixels.baseAddress!)
            var rows: [JSAMPROW?] = (0..<height).map { base + $0 * width * 3 }
            rows.withUnsafeMutableBufferPointer { rowPointers in
                while cinfo.pointee.next_scanline < cinfo.pointee.image_height {
                    let next = Int(cinfo.pointee.next_scanline)
                    _ = jpeg_write_scanlines(cinfo, rowPointers.baseAddress! + next, JDIMENSION(height - next))
                }
            }
        }
        jpeg_finish_compress(cinfo)
        guard let buffer, size > 0 else {
            throw MediaError.cannotWriteImage(path: path, reason: "libjpeg produced no output")
        }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Draws the outline of the box from (`x1`, `y1`) to (`x2`, `y2`) (inclusive pixel
    /// coordinates, in either order) into packed RGB24 pixels, `thickness` pixels wide,
    /// growing inwards. Parts outside the image are clipped; a box wholly outside draws nothing.
    public static func drawBox(on rgb: inout [UInt8], width: Int, height: Int,
                               x1: Int, y1: Int, x2: Int, y2: Int,
                               color: (r: UInt8, g: UInt8, b: UInt8) = (255, 0, 255), thickness: Int = 2) {
        guard width > 0, height > 0, rgb.count >= width * height * 3, thickness > 0 else { return }
        let left = min(x1, x2), right = max(x1, x2), top = min(y1, y2), bottom = max(y1, y2)
        let t = thickness - 1
        func fill(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int) {
            let fx = max(ax, 0), tx = min(bx, width - 1), fy = max(ay, 0), ty = min(by, height - 1)
            guard fx <= tx, fy <= ty else { return }
            for y in fy...ty {
                var i = (y * width + fx) * 3
                for _ in fx...tx {
                    rgb[i] = color.r; rgb[i + 1] = color.g; rgb[i + 2] = color.b
                    i += 3
                }
            }
        }
        fill(left, top, right, min(top + t, bottom))            // top edge
        fill(left, max(bottom - t, top), right, bottom)         // bottom edge
        fill(left, top, min(left + t, right), bottom)           // left edge
        fill(max(right - t, left), top, right, bottom)          // right edge
    }
}
