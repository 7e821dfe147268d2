import Foundation

/// How to turn a BlazeFace-family regressor row into a box: the options of MediaPipe's
/// `TensorsToDetectionsCalculator`, as they appear in a sidecar's `"blaze"` object.
public struct BlazeDecoderOptions: Sendable, Equatable, Codable {
    /// Anchors the model predicts for (rows of both outputs).
    public var numBoxes: Int
    /// Values per regressor row: 4 box values, then keypoints.
    public var numCoords: Int
    /// Column of the first box value.
    public var boxCoordOffset: Int = 0
    /// Column of the first keypoint value.
    public var keypointCoordOffset: Int = 4
    /// Keypoints per row.
    public var numKeypoints: Int = 0
    /// Values per keypoint (only 2, x and y, is supported).
    public var numValuesPerKeypoint: Int = 2
    /// Whether rows are (x, y, w, h) rather than (y, x, h, w); true for every Blaze model.
    public var reverseOutputOrder: Bool = true
    /// Regressor units per anchor-size unit (the input size for pixel-trained heads).
    public var xScale: Float
    public var yScale: Float
    public var wScale: Float
    public var hScale: Float
    /// Whether sizes are log-encoded (`exp(raw / scale)`), as in TF object-detection SSDs.
    public var applyExponentialOnBoxSize: Bool = false
    /// Whether the classifier outputs logits that need a sigmoid.
    public var sigmoidScore: Bool = true
    /// Logits are clamped to ±this before the sigmoid (MediaPipe's `score_clipping_thresh`).
    public var scoreClippingThreshold: Float? = nil
    /// Names of the two outputs; when absent they are told apart by shape.
    public var regressorsOutput: String? = nil
    public var scoresOutput: String? = nil
    /// When set, the reported box is derived from two keypoints (BlazePose's body box).
    public var boxFromKeypoints: KeypointBox? = nil

    /// A square box centred on one keypoint, whose half-side is the distance to another
    /// keypoint times `scale` (MediaPipe's alignment-points ROI for pose and hands).
    public struct KeypointBox: Sendable, Equatable, Codable {
        public var centerKeypoint: Int
        public var scaleKeypoint: Int
        public var scale: Float

        public init(centerKeypoint: Int, scaleKeypoint: Int, scale: Float) {
            self.centerKeypoint = centerKeypoint; self.scaleKeypoint = scaleKeypoint; self.scale = scale
        }

        enum CodingKeys: String, CodingKey {
            case centerKeypoint = "center_keypoint", scaleKeypoint = "scale_keypoint", scale
        }
    }

    public init(numBoxes: Int, numCoords: Int, xScale: Float, yScale: Float, wScale: Float, hScale: Float,
                numKeypoints: Int = 0, boxCoordOffset: Int = 0, keypointCoordOffset: Int = 4,
                reverseOutputOrder: Bool = true, applyExponentialOnBoxSize: Bool = false,
                sigmoidScore: Bool = true, scoreClippingThreshold: Float? = nil, boxFromKeypoints: KeypointBox? = nil) {
        self.numBoxes = numBoxes; self.numCoords = numCoords
        self.xScale = xScale; self.yScale = yScale; self.wScale = wScale; self.hScale = hScale
        self.numKeypoints = numKeypoints; self.boxCoordOffset = boxCoordOffset; self.keypointCoordOffset = keypointCoordOffset
        self.reverseOutputOrder = reverseOutputOrder; self.applyExponentialOnBoxSize = applyExponentialOnBoxSize
        self.sigmoidScore = sigmoidScore; self.scoreClippingThreshold = scoreClippingThreshold
        self.boxFromKeypoints = boxFromKeypoints
    }

    enum CodingKeys: String, CodingKey {
        case numBoxes = "num_boxes", numCoords = "num_coords", boxCoordOffset = "box_coord_offset"
        case keypointCoordOffset = "keypoint_coord_offset", numKeypoints = "num_keypoints"
        case numValuesPerKeypoint = "num_values_per_keypoint", reverseOutputOrder = "reverse_output_order"
        case xScale = "x_scale", yScale = "y_scale", wScale = "w_scale", hScale = "h_scale"
        case applyExponentialOnBoxSize = "apply_exponential_on_box_size", sigmoidScore = "sigmoid_score"
        case scoreClippingThreshold = "score_clipping_threshold"
        case regressorsOutput = "regressors_output", scoresOutput = "scores_output"
        case boxFromKeypoints = "box_from_keypoints"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numBoxes = try c.decode(Int.self, forKey: .numBoxes)
        numCoords = try c.decode(Int.self, forKey: .numCoords)
        boxCoordOffset = try c.decodeIfPresent(Int.self, forKey: .boxCoordOffset) ?? 0
        keypointCoordOffset = try c.decodeIfPresent(Int.self, forKey: .keypointCoordOffset) ?? 4
        numKeypoints = try c.decodeIfPresent(Int.self, forKey: .numKeypoints) ?? 0
        numValuesPerKeypoint = try c.decodeIfPresent(Int.self, forKey: .numValuesPerKeypoint) ?? 2
        reverseOutputOrder = try c.decodeIfPresent(Bool.self, forKey: .reverseOutputOrder) ?? true
        xScale = try c.decode(Float.self, forKey: .xScale)
        yScale = try c.decode(Float.self, forKey: .yScale)
        wScale = try c.decode(Float.self, forKey: .wScale)
        hScale = try c.decode(Float.self, forKey: .hScale)
        applyExponentialOnBoxSize = try c.decodeIfPresent(Bool.self, forKey: .applyExponentialOnBoxSize) ?? false
        sigmoidScore = try c.decodeIfPresent(Bool.self, forKey: .sigmoidScore) ?? true
        scoreClippingThreshold = try c.decodeIfPresent(Float.self, forKey: .scoreClippingThreshold)
        regressorsOutput = try c.decodeIfPresent(String.self, forKey: .regressorsOutput)
        scoresOutput = try c.decodeIfPresent(String.self, forKey: .scoresOutput)
        boxFromKeypoints = try c.decodeIfPresent(KeypointBox.self, forKey: .boxFromKeypoints)
    }
}

/// Decodes BlazeFace-family SSD heads (MediaPipe face, pose and palm detectors):
/// regressors `[1, N, K]` against `N` anchors, classifier logits `[1, N, C]`.
///
/// Pure: works on float buffers, so it is tested on recorded model outputs.
public struct BlazeDecoder: Sendable {
    public let anchors: [Anchor]
    public let options: BlazeDecoderOptions
    /// Network input size in pixels; decoded boxes are in these pixels before mapping.
    public let inputWidth: Int
    public let inputHeight: Int
    /// Label per class index.
    public let labels: [String]
    /// Detections scoring below this are dropped before NMS.
    public let scoreThreshold: Float
    public let nms: NMSOptions

    /// - Throws: `VisionError.invalidMetadata` if the anchors do not match `options.numBoxes`
    ///   or the row layout does not fit `numCoords`.
    public init(anchors: [Anchor], options: BlazeDecoderOptions, inputWidth: Int, inputHeight: Int,
                labels: [String], scoreThreshold: Float, nms: NMSOptions) throws {
        guard anchors.count == options.numBoxes else {
            throw VisionError.invalidMetadata(model: labels.first ?? "blaze",
                                              reason: "anchor options give \(anchors.count) anchors, num_boxes is \(options.numBoxes)")
        }
        guard options.numValuesPerKeypoint == 2,
              options.boxCoordOffset >= 0, options.boxCoordOffset + 4 <= options.numCoords,
              options.numKeypoints == 0 || options.keypointCoordOffset + 2 * options.numKeypoints <= options.numCoords else {
            throw VisionError.invalidMetadata(model: labels.first ?? "blaze",
                                              reason: "box at column \(options.boxCoordOffset) and \(options.numKeypoints) keypoints at column \(options.keypointCoordOffset) do not fit \(options.numCoords) coords (2 values per keypoint)")
        }
        if let derived = options.boxFromKeypoints,
           max(derived.centerKeypoint, derived.scaleKeypoint) >= options.numKeypoints || min(derived.centerKeypoint, derived.scaleKeypoint) < 0 {
            throw VisionError.invalidMetadata(model: labels.first ?? "blaze", reason: "box_from_keypoints names a keypoint beyond num_keypoints \(options.numKeypoints)")
        }
        self.anchors = anchors; self.options = options
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.labels = labels; self.scoreThreshold = scoreThreshold; self.nms = nms
    }

    /// Every anchor whose score reaches `scoreThreshold`, decoded, boxes and keypoints in
    /// input pixels, before NMS; rows with non-finite or inverted boxes are skipped.
    ///
    /// - Parameters:
    ///   - regressors: `[N, numCoords]`, row-major.
    ///   - scores: `[N, C]` logits (or probabilities when `sigmoidScore` is false).
    public func candidates(regressors: UnsafeBufferPointer<Float>, scores: UnsafeBufferPointer<Float>) throws -> [Detection] {
        let n = options.numBoxes, k = options.numCoords
        guard regressors.count == n * k else {
            throw VisionError.outputShapeMismatch(head: "blaze", expected: "[1, \(n), \(k)]", got: [regressors.count])
        }
        guard scores.count >= n, scores.count % n == 0 else {
            throw VisionError.outputShapeMismatch(head: "blaze", expected: "[1, \(n), classes]", got: [scores.count])
        }
        let classes = scores.count / n
        let width = Float(inputWidth), height = Float(inputHeight)
        var result: [Detection] = []
        for i in 0..<n {
            // Best class of this anchor; NaN logits never win.
            var best = -Float.infinity, bestClass = -1
            for c in 0..<classes {
                let value = scores[i * classes + c]
                if value > best { best = value; bestClass = c }
            }
            guard bestClass >= 0 else { continue }
            let score = probability(best)
            guard score >= scoreThreshold else { continue }

            let anchor = anchors[i]
            let row = i * k
            let b = row + options.boxCoordOffset
            let (rawX, rawY, rawW, rawH) = options.reverseOutputOrder
                ? (regressors[b], regressors[b + 1], regressors[b + 2], regressors[b + 3])
                : (regressors[b + 1], regressors[b], regressors[b + 3], regressors[b + 2])
            // Centres are offsets from the anchor centre in anchor-size units; sizes are in
            // the same units (fixed 1×1 anchors make them input-relative).
            let centerX = rawX / options.xScale * anchor.width + anchor.centerX
            let centerY = rawY / options.yScale * anchor.height + anchor.centerY
            let w = options.applyExponentialOnBoxSize ? exp(rawW / options.wScale) * anchor.width : rawW / options.wScale * anchor.width
            let h = options.applyExponentialOnBoxSize ? exp(rawH / options.hScale) * anchor.height : rawH / options.hScale * anchor.height
            let box = Box(x1: (centerX - w / 2) * width, y1: (centerY - h / 2) * height,
                          x2: (centerX + w / 2) * width, y2: (centerY + h / 2) * height)
            guard box.isFinite, w >= 0, h >= 0 else { continue }

            var keypoints: [Keypoint] = []
            if options.numKeypoints > 0 {
                keypoints.reserveCapacity(options.numKeypoints)
                for p in 0..<options.numKeypoints {
                    let o = row + options.keypointCoordOffset + 2 * p
                    let (kx, ky) = options.reverseOutputOrder ? (regressors[o], regressors[o + 1]) : (regressors[o + 1], regressors[o])
                    keypoints.append(Keypoint(x: (kx / options.xScale * anchor.width + anchor.centerX) * width,
                                              y: (ky / options.yScale * anchor.height + anchor.centerY) * height))
                }
            }
            let label = bestClass < labels.count ? labels[bestClass] : "class\(bestClass)"
            result.append(Detection(label: label, classIndex: bestClass, score: score, box: box, keypoints: keypoints))
        }
        return result
    }

    /// Candidates, suppressed, with the keypoint-derived box if configured, mapped to source
    /// pixels by `transform` and clipped to the frame, best first; boxes left empty by the
    /// clipping (wholly in the padding) are dropped.
    public func decode(regressors: UnsafeBufferPointer<Float>, scores: UnsafeBufferPointer<Float>,
                       transform: InputTransform) throws -> [Detection] {
        let kept = NonMaxSuppression.apply(try candidates(regressors: regressors, scores: scores), options: nms)
        return kept.compactMap { detection in
            var mapped = transform.sourceDetection(detection)
            // Derived in source pixels, so the box is square in the picture, not in the input.
            if let derived = options.boxFromKeypoints {
                mapped.box = keypointBox(mapped.keypoints, derived)
                    .clamped(width: Float(transform.sourceWidth), height: Float(transform.sourceHeight))
            }
            // Wholly outside the picture (in letterbox padding): nothing to report.
            return mapped.box.area > 0 ? mapped : nil
        }
    }

    /// `decode` on arrays.
    public func decode(regressors: [Float], scores: [Float], transform: InputTransform) throws -> [Detection] {
        try regressors.withUnsafeBufferPointer { r in
            try scores.withUnsafeBufferPointer { s in try decode(regressors: r, scores: s, transform: transform) }
        }
    }

    /// Sigmoid of a (clipped) logit, or the value itself for probability outputs.
    private func probability(_ value: Float) -> Float {
        guard options.sigmoidScore else { return value }
        var logit = value
        if let clip = options.scoreClippingThreshold { logit = min(max(logit, -clip), clip) }
        return 1 / (1 + exp(-logit))
    }

    private func keypointBox(_ keypoints: [Keypoint], _ derived: BlazeDecoderOptions.KeypointBox) -> Box {
        let center = keypoints[derived.centerKeypoint], edge = keypoints[derived.scaleKeypoint]
        let half = ((edge.x - center.x) * (edge.x - center.x) + (edge.y - center.y) * (edge.y - center.y)).squareRoot() * derived.scale
        return Box(x1: center.x - half, y1: center.y - half, x2: center.x + half, y2: center.y + half)
    }
}
