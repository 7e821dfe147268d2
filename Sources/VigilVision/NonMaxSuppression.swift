/// Which suppression rule to apply to overlapping detections.
public enum NMSAlgorithm: String, Sendable, Codable {
    /// Keep the best box of each overlapping group, drop the rest (torchvision, Ultralytics).
    case hard
    /// Replace the best box of each group with the score-weighted mean of the group's boxes
    /// and keypoints (MediaPipe's WEIGHTED, BlazeFace's "blending"): steadier boxes on video.
    case weighted
}

/// Non-maximum suppression settings, as they appear in a sidecar's `"nms"` object.
public struct NMSOptions: Sendable, Equatable, Codable {
    public var algorithm: NMSAlgorithm
    /// Boxes overlapping a kept box by more than this IoU join its group.
    public var iouThreshold: Float
    /// At most this many detections survive, best first.
    public var maxDetections: Int
    /// Whether only boxes of the same class suppress each other.
    public var classAware: Bool

    public init(algorithm: NMSAlgorithm = .hard, iouThreshold: Float, maxDetections: Int = 300, classAware: Bool = true) {
        self.algorithm = algorithm; self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections; self.classAware = classAware
    }

    enum CodingKeys: String, CodingKey {
        case algorithm, iouThreshold = "iou_threshold", maxDetections = "max_detections", classAware = "class_aware"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decodeIfPresent(NMSAlgorithm.self, forKey: .algorithm) ?? .hard
        iouThreshold = try c.decode(Float.self, forKey: .iouThreshold)
        maxDetections = try c.decodeIfPresent(Int.self, forKey: .maxDetections) ?? 300
        classAware = try c.decodeIfPresent(Bool.self, forKey: .classAware) ?? true
    }
}

/// Non-maximum suppression over detections in any one coordinate system.
///
/// All variants are total: NaN scores are dropped (never kept, never crash the sort), boxes
/// with zero area or NaN corners overlap nothing and so survive on their own merit, ties in
/// score keep input order, and the result is sorted best first.
/// - Complexity: O(n²) in the number of candidates; decoders threshold scores first.
public enum NonMaxSuppression {
    /// Applies `options`: per class when `classAware`, then caps at `maxDetections`.
    public static func apply(_ detections: [Detection], options: NMSOptions) -> [Detection] {
        let suppress: ([Detection]) -> [Detection] = { group in
            switch options.algorithm {
            case .hard: return hard(group, iouThreshold: options.iouThreshold, maxDetections: options.maxDetections)
            case .weighted: return weighted(group, iouThreshold: options.iouThreshold, maxDetections: options.maxDetections)
            }
        }
        guard options.classAware else { return suppress(detections) }
        var classes: [Int: [Detection]] = [:]
        for detection in detections { classes[detection.classIndex, default: []].append(detection) }
        guard classes.count > 1 else { return suppress(detections) }
        let merged = classes.keys.sorted().flatMap { suppress(classes[$0]!) }
        return Array(sortedByScore(merged).prefix(max(0, options.maxDetections)))
    }

    /// Greedy NMS: walk boxes best first, keep one unless it overlaps an already kept box by
    /// more than `iouThreshold`.
    public static func hard(_ detections: [Detection], iouThreshold: Float, maxDetections: Int = .max) -> [Detection] {
        var kept: [Detection] = []
        guard maxDetections > 0 else { return kept }
        for candidate in sortedByScore(detections) {
            if kept.contains(where: { $0.box.iou(candidate.box) > iouThreshold }) { continue }
            kept.append(candidate)
            if kept.count == maxDetections { break }
        }
        return kept
    }

    /// Weighted NMS: the best remaining box gathers every remaining box that overlaps it by
    /// more than `iouThreshold`; the group leaves as one detection with the leader's score
    /// and label and the score-weighted mean of the group's corners and keypoints.
    ///
    /// Unlike MediaPipe's loop, the leader always belongs to its own group, so a degenerate
    /// leader (zero area, IoU 0 with itself) is emitted alone instead of ending the loop.
    public static func weighted(_ detections: [Detection], iouThreshold: Float, maxDetections: Int = .max) -> [Detection] {
        var remaining = sortedByScore(detections)
        var result: [Detection] = []
        while !remaining.isEmpty && result.count < maxDetections {
            let leader = remaining[0]
            var group: [Detection] = [leader]
            var rest: [Detection] = []
            rest.reserveCapacity(remaining.count - 1)
            for other in remaining.dropFirst() {
                if other.box.iou(leader.box) > iouThreshold { group.append(other) } else { rest.append(other) }
            }
            result.append(blend(group))
            remaining = rest
        }
        return result
    }

    /// The leader (first of `group`) with corners and keypoints averaged by score.
    private static func blend(_ group: [Detection]) -> Detection {
        var merged = group[0]
        guard group.count > 1 else { return merged }
        let total = group.reduce(Float(0)) { $0 + $1.score }
        guard total > 0, total.isFinite else { return merged }
        var x1: Float = 0, y1: Float = 0, x2: Float = 0, y2: Float = 0
        let keypointCount = merged.keypoints.count
        var points = [Keypoint](repeating: Keypoint(x: 0, y: 0), count: keypointCount)
        for member in group {
            let w = member.score / total
            x1 += member.box.x1 * w; y1 += member.box.y1 * w
            x2 += member.box.x2 * w; y2 += member.box.y2 * w
            for k in 0..<min(keypointCount, member.keypoints.count) {
                points[k].x += member.keypoints[k].x * w
                points[k].y += member.keypoints[k].y * w
            }
        }
        merged.box = Box(x1: x1, y1: y1, x2: x2, y2: y2)
        if group.allSatisfy({ $0.keypoints.count == keypointCount }) { merged.keypoints = points }
        return merged
    }

    /// Finite-scored detections, best first, ties in input order.
    static func sortedByScore(_ detections: [Detection]) -> [Detection] {
        detections.enumerated()
            .filter { !$0.element.score.isNaN }
            .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .map(\.element)
    }
}
