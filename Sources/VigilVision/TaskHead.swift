import VigilEngine

/// What a task head produced for one frame, in source-frame pixels.
public struct VisionResult: Sendable, Equatable {
    public var detections: [Detection]
    public var masks: [RunLengthMask]

    public init(detections: [Detection] = [], masks: [RunLengthMask] = []) {
        self.detections = detections; self.masks = masks
    }
}

/// The decoder a model's sidecar asks for, built once, applied to every frame's outputs.
public enum TaskHead: Sendable {
    case blaze(BlazeDecoder)
    case yolo(YOLODecoder)
    case textRegions(TextRegionDecoder)
    case segmentation(SelfieMask)

    /// Builds the head named by `metadata.head`.
    /// - Throws: `VisionError.unsupportedHead`, or `.invalidMetadata` when the head's
    ///   parameters are missing or inconsistent (e.g. anchors ≠ `num_boxes`).
    public init(metadata: ModelMetadata) throws {
        func missing(_ key: String) -> VisionError {
            .invalidMetadata(model: metadata.name, reason: "head '\(metadata.head)' needs a \"\(key)\" object")
        }
        switch metadata.head {
        case "blaze":
            guard let anchorOptions = metadata.anchors else { throw missing("anchors") }
            guard let options = metadata.blaze else { throw missing("blaze") }
            let anchors: [Anchor]
            do { anchors = try SSDAnchors.generate(anchorOptions) } catch VisionError.invalidMetadata(_, let reason) {
                throw VisionError.invalidMetadata(model: metadata.name, reason: reason)
            }
            self = .blaze(try BlazeDecoder(anchors: anchors, options: options,
                                           inputWidth: metadata.input.width, inputHeight: metadata.input.height,
                                           labels: metadata.labels, scoreThreshold: metadata.scoreThreshold,
                                           nms: metadata.nms ?? NMSOptions(algorithm: .weighted, iouThreshold: 0.3)))
        case "yolo":
            self = .yolo(YOLODecoder(labels: metadata.labels, scoreThreshold: metadata.scoreThreshold,
                                     nms: metadata.nms ?? NMSOptions(algorithm: .hard, iouThreshold: 0.7)))
        case "text_regions":
            let options = metadata.textRegions
            self = .textRegions(TextRegionDecoder(binaryThreshold: options?.binaryThreshold ?? 0.3,
                                                  boxThreshold: metadata.scoreThreshold,
                                                  unclipRatio: options?.unclipRatio ?? 1.6,
                                                  minSize: options?.minSize ?? 3,
                                                  maxCandidates: options?.maxCandidates ?? 1000,
                                                  label: metadata.labels.first ?? "text"))
        case "segmentation":
            self = .segmentation(SelfieMask(inputWidth: metadata.input.width, inputHeight: metadata.input.height,
                                            threshold: metadata.scoreThreshold, label: metadata.labels.first ?? "foreground"))
        default:
            throw VisionError.unsupportedHead(model: metadata.name, head: metadata.head)
        }
    }

    /// Decodes one frame's model outputs, keyed by output name, into source-frame results.
    public func decode(outputs: [String: Tensor], transform: InputTransform) throws -> VisionResult {
        switch self {
        case .blaze(let decoder):
            let (regressors, scores) = try Self.blazeOutputs(outputs, decoder.options)
            return VisionResult(detections: try decoder.decode(regressors: regressors.floats, scores: scores.floats, transform: transform))
        case .yolo(let decoder):
            let output = try Self.single(outputs, head: "yolo")
            return VisionResult(detections: try decoder.decode(output: output.floats, shape: output.shape, transform: transform))
        case .textRegions(let decoder):
            let map = try Self.single(outputs, head: "text_regions")
            let (height, width) = try Self.planeSize(map.shape, head: "text_regions", expected: "[1, 1, H, W]")
            return VisionResult(detections: try decoder.decode(probability: map.floats, width: width, height: height, transform: transform))
        case .segmentation(let decoder):
            let map = try Self.single(outputs, head: "segmentation")
            let (height, width) = try Self.planeSize(map.shape, head: "segmentation", expected: "[1, H, W, 1]")
            return VisionResult(masks: [try decoder.decode(probability: map.floats, width: width, height: height, transform: transform)])
        }
    }

    /// Regressors and scores by the sidecar's names, else by shape (scores have fewer columns).
    private static func blazeOutputs(_ outputs: [String: Tensor], _ options: BlazeDecoderOptions) throws -> (Tensor, Tensor) {
        if let r = options.regressorsOutput, let s = options.scoresOutput, let regressors = outputs[r], let scores = outputs[s] {
            return (regressors, scores)
        }
        let candidates = outputs.values.filter { $0.shape.last.map { $0 > 0 } ?? false }
        guard let regressors = candidates.first(where: { $0.shape.last == options.numCoords && $0.count == options.numBoxes * options.numCoords }),
              let scores = candidates.first(where: { $0.shape.last != options.numCoords && $0.count % options.numBoxes == 0 }) else {
            throw VisionError.missingOutput(head: "blaze", expected: "[1, \(options.numBoxes), \(options.numCoords)] and [1, \(options.numBoxes), 1]",
                                            available: outputs.map { "\($0.key) \($0.value.shape)" }.sorted())
        }
        return (regressors, scores)
    }

    private static func single(_ outputs: [String: Tensor], head: String) throws -> Tensor {
        guard outputs.count == 1, let only = outputs.values.first else {
            throw VisionError.missingOutput(head: head, expected: "exactly one output", available: outputs.keys.sorted())
        }
        return only
    }

    /// `(H, W)` of a one-channel map, `[1, 1, H, W]`, `[1, H, W, 1]`, `[1, H, W]` or `[H, W]`.
    private static func planeSize(_ shape: [Int], head: String, expected: String) throws -> (Int, Int) {
        var dims = shape
        while dims.count > 2, dims.first == 1 { dims.removeFirst() }
        while dims.count > 2, dims.last == 1 { dims.removeLast() }
        guard dims.count == 2 else { throw VisionError.outputShapeMismatch(head: head, expected: expected, got: shape) }
        return (dims[0], dims[1])
    }
}
