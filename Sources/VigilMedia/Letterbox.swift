/// Where a source picture lands inside a target (network input) rectangle, and the
/// maps between the two coordinate systems.
///
/// Coordinates are continuous: pixel `i` spans `[i, i + 1)`, the convention detector
/// boxes use, so box corners map exactly. For a pixel's centre pass `i + 0.5`.
/// Stretching is the special case with no offset and unequal scales, so both modes
/// share this one type.
public struct Letterbox: Hashable, Sendable {
    /// Source picture width in pixels.
    public let sourceWidth: Int
    /// Source picture height in pixels.
    public let sourceHeight: Int
    /// Target width in pixels.
    public let targetWidth: Int
    /// Target height in pixels.
    public let targetHeight: Int
    /// Width of the scaled picture inside the target.
    public let contentWidth: Int
    /// Height of the scaled picture inside the target.
    public let contentHeight: Int
    /// Left padding: the content's first column in the target.
    public let offsetX: Int
    /// Top padding: the content's first row in the target.
    public let offsetY: Int

    /// Target pixels per source pixel, horizontally. Derived from the rounded content
    /// size rather than the ideal ratio, so mapping the content edges is exact.
    public var scaleX: Double { Double(contentWidth) / Double(sourceWidth) }
    /// Target pixels per source pixel, vertically.
    public var scaleY: Double { Double(contentHeight) / Double(sourceHeight) }

    /// The largest aspect-preserving fit of the source, centred, with the rest padded.
    public static func fit(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) -> Letterbox {
        precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0,
                     "sizes must be positive: \(sourceWidth)x\(sourceHeight) into \(targetWidth)x\(targetHeight)")
        let scale = min(Double(targetWidth) / Double(sourceWidth), Double(targetHeight) / Double(sourceHeight))
        let contentWidth = min(targetWidth, max(1, Int((Double(sourceWidth) * scale).rounded())))
        let contentHeight = min(targetHeight, max(1, Int((Double(sourceHeight) * scale).rounded())))
        // Odd padding puts the extra pixel right/bottom, as YOLO's letterbox does.
        return Letterbox(sourceWidth: sourceWidth, sourceHeight: sourceHeight,
                         targetWidth: targetWidth, targetHeight: targetHeight,
                         contentWidth: contentWidth, contentHeight: contentHeight,
                         offsetX: (targetWidth - contentWidth) / 2, offsetY: (targetHeight - contentHeight) / 2)
    }

    /// The source stretched over the whole target, aspect ratio ignored.
    public static func stretch(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) -> Letterbox {
        precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0,
                     "sizes must be positive: \(sourceWidth)x\(sourceHeight) into \(targetWidth)x\(targetHeight)")
        return Letterbox(sourceWidth: sourceWidth, sourceHeight: sourceHeight,
                         targetWidth: targetWidth, targetHeight: targetHeight,
                         contentWidth: targetWidth, contentHeight: targetHeight, offsetX: 0, offsetY: 0)
    }

    /// Maps a target point (e.g. a box corner in network input pixels) to source pixels.
    /// Points in the padding map outside the source; clamp if needed.
    public func sourcePoint(x: Double, y: Double) -> (x: Double, y: Double) {
        ((x - Double(offsetX)) / scaleX, (y - Double(offsetY)) / scaleY)
    }

    /// Maps a source point to target pixels.
    public func targetPoint(x: Double, y: Double) -> (x: Double, y: Double) {
        (x * scaleX + Double(offsetX), y * scaleY + Double(offsetY))
    }

    /// Whether target pixel `(x, y)` shows the picture rather than padding.
    public func containsContent(x: Int, y: Int) -> Bool {
        x >= offsetX && x < offsetX + contentWidth && y >= offsetY && y < offsetY + contentHeight
    }
}
