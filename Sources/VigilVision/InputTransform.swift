/// Maps network-input pixels back to source-frame pixels, and the reverse:
/// `input = source × scale + offset`.
///
/// VigilMedia's `Letterbox` describes the same geometry; Vision keeps its own small copy so
/// it need not depend on Media (the Pipeline converts one into the other). Coordinates are
/// continuous: pixel `i` spans `[i, i + 1)`.
public struct InputTransform: Sendable, Hashable {
    /// Source frame width in pixels.
    public var sourceWidth: Int
    /// Source frame height in pixels.
    public var sourceHeight: Int
    /// Input pixels per source pixel, horizontally.
    public var scaleX: Double
    /// Input pixels per source pixel, vertically.
    public var scaleY: Double
    /// Input column where source column 0 lands (left padding).
    public var offsetX: Double
    /// Input row where source row 0 lands (top padding).
    public var offsetY: Double

    public init(sourceWidth: Int, sourceHeight: Int, scaleX: Double, scaleY: Double, offsetX: Double = 0, offsetY: Double = 0) {
        precondition(scaleX > 0 && scaleY > 0, "scales must be positive, got \(scaleX), \(scaleY)")
        self.sourceWidth = sourceWidth; self.sourceHeight = sourceHeight
        self.scaleX = scaleX; self.scaleY = scaleY
        self.offsetX = offsetX; self.offsetY = offsetY
    }

    /// The input is the source itself.
    public static func identity(width: Int, height: Int) -> InputTransform {
        InputTransform(sourceWidth: width, sourceHeight: height, scaleX: 1, scaleY: 1)
    }

    /// The source stretched over the whole input, aspect ratio ignored.
    public static func stretch(sourceWidth: Int, sourceHeight: Int, inputWidth: Int, inputHeight: Int) -> InputTransform {
        InputTransform(sourceWidth: sourceWidth, sourceHeight: sourceHeight,
                       scaleX: Double(inputWidth) / Double(sourceWidth), scaleY: Double(inputHeight) / Double(sourceHeight))
    }

    /// An input point in source pixels (points in the padding land outside the source).
    public func sourcePoint(x: Float, y: Float) -> (x: Float, y: Float) {
        (Float((Double(x) - offsetX) / scaleX), Float((Double(y) - offsetY) / scaleY))
    }

    /// A source point in input pixels.
    public func inputPoint(x: Float, y: Float) -> (x: Float, y: Float) {
        (Float(Double(x) * scaleX + offsetX), Float(Double(y) * scaleY + offsetY))
    }

    /// An input box in source pixels, clipped to the frame.
    public func sourceBox(_ box: Box) -> Box {
        let (x1, y1) = sourcePoint(x: box.x1, y: box.y1)
        let (x2, y2) = sourcePoint(x: box.x2, y: box.y2)
        return Box(x1: x1, y1: y1, x2: x2, y2: y2).clamped(width: Float(sourceWidth), height: Float(sourceHeight))
    }

    /// A detection with its box and keypoints in source pixels (keypoints are not clipped).
    public func sourceDetection(_ detection: Detection) -> Detection {
        var result = detection
        result.box = sourceBox(detection.box)
        result.keypoints = detection.keypoints.map { point in
            let (x, y) = sourcePoint(x: point.x, y: point.y)
            return Keypoint(x: x, y: y)
        }
        return result
    }
}
