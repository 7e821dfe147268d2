/// An axis-aligned box in pixels: (x1, y1) top-left, (x2, y2) bottom-right.
public struct Box: Sendable, Equatable, Codable {
    public var x1: Float, y1: Float, x2: Float, y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
    }

    /// A box from its centre and size.
    public init(centerX: Float, centerY: Float, width: Float, height: Float) {
        self.init(x1: centerX - width / 2, y1: centerY - height / 2, x2: centerX + width / 2, y2: centerY + height / 2)
    }

    public var width: Float { max(0, x2 - x1) }
    public var height: Float { max(0, y2 - y1) }
    public var area: Float { width * height }
    public var centerX: Float { (x1 + x2) / 2 }
    public var centerY: Float { (y1 + y2) / 2 }

    /// Whether every corner is a finite number (decoders drop boxes that are not).
    public var isFinite: Bool { x1.isFinite && y1.isFinite && x2.isFinite && y2.isFinite }

    /// The box grown by `fraction` of its width and height on each side.
    public func buffered(_ fraction: Float) -> Box {
        let dx = width * fraction, dy = height * fraction
        return Box(x1: x1 - dx, y1: y1 - dy, x2: x2 + dx, y2: y2 + dy)
    }

    /// Intersection over union; 0 when either box is empty.
    public func iou(_ other: Box) -> Float {
        let w = min(x2, other.x2) - max(x1, other.x1)
        let h = min(y2, other.y2) - max(y1, other.y1)
        guard w > 0, h > 0 else { return 0 }
        let intersection = w * h
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }

    /// The part of the box inside `[0, width] × [0, height]`.
    public func clamped(width: Float, height: Float) -> Box {
        Box(x1: min(max(x1, 0), width), y1: min(max(y1, 0), height),
            x2: min(max(x2, 0), width), y2: min(max(y2, 0), height))
    }
}

/// A 2-D landmark in pixels (e.g. an eye for face detectors, the hip centre for pose).
public struct Keypoint: Sendable, Equatable, Codable {
    public var x: Float, y: Float

    public init(x: Float, y: Float) {
        self.x = x; self.y = y
    }
}

/// One detected object.
public struct Detection: Sendable, Equatable {
    public var label: String
    public var classIndex: Int
    public var score: Float
    public var box: Box
    /// Landmarks the head predicts with the box, in the same coordinates; empty for most heads.
    public var keypoints: [Keypoint]
    /// The tracker's stable identity for the object; nil for untracked detections.
    public var trackID: Int?
    /// The track's centre velocity in pixels per second; nil for untracked detections.
    public var velocity: Velocity?

    public init(label: String, classIndex: Int, score: Float, box: Box, keypoints: [Keypoint] = [],
                trackID: Int? = nil, velocity: Velocity? = nil) {
        self.label = label; self.classIndex = classIndex; self.score = score; self.box = box
        self.keypoints = keypoints; self.trackID = trackID; self.velocity = velocity
    }
}

/// A 2-D velocity in pixels per second.
public struct Velocity: Sendable, Equatable, Codable {
    public var x: Float, y: Float

    public init(x: Float, y: Float) {
        self.x = x; self.y = y
    }
}
