import Foundation

/// What a model needs around it, read from the JSON sidecar beside the model file
/// (`Models/<model>.json`): input geometry and normalisation, the task head and its
/// parameters, labels and thresholds.
///
/// Keys (snake_case): `name`, `short_name`, `model_file`, `task`, `head`
/// (`blaze` | `yolo` | `text_regions` | `segmentation`), `input` {`width`, `height`,
/// `layout`, `channel_order`, `resize` (`letterbox` | `stretch`), `padding`,
/// `normalization` {`range`: [lo, hi]} or {`mean`, `std`}, optional `size_multiple`,
/// `max_side`}, `labels`, `score_threshold`, optional `nms` {`algorithm`, `iou_threshold`,
/// `max_detections`, `class_aware`}, `anchors` (`SSDAnchorOptions`) and `blaze`
/// (`BlazeDecoderOptions`) for Blaze heads, `text_regions` for text, `keypoint_names`, `source`.
/// Models/face_detection_short_range.json is the worked example.
public struct ModelMetadata: Sendable, Decodable, Equatable {
    /// Full model name, e.g. "face_detection_short_range".
    public var name: String
    /// The CLI's name for the model, e.g. "face".
    public var shortName: String
    /// Model file name, relative to the sidecar (or to `Models/cache/` for fetched models).
    public var modelFile: String
    /// "detection", "segmentation" or "text".
    public var task: String
    /// The decoder: "blaze", "yolo", "text_regions" or "segmentation".
    public var head: String
    public var input: Input
    public var labels: [String]
    /// Detections (or text regions, or mask pixels) scoring below this are dropped.
    public var scoreThreshold: Float
    public var nms: NMSOptions?
    public var anchors: SSDAnchorOptions?
    public var blaze: BlazeDecoderOptions?
    public var textRegions: TextRegionOptions?
    /// Keypoint names in model order, when the head predicts keypoints.
    public var keypointNames: [String]?
    /// Where the parameters come from (upstream graph file and version).
    public var source: String?

    /// The network input: size, layout and pixel normalisation.
    public struct Input: Sendable, Decodable, Equatable {
        public var name: String?
        public var width: Int
        public var height: Int
        /// "NHWC" or "NCHW".
        public var layout: String
        /// "RGB" or "BGR".
        public var channelOrder: String
        /// "letterbox" (keep aspect ratio, pad) or "stretch".
        public var resize: String
        /// Letterbox padding as a 0...255 pixel value, normalised like the picture.
        public var padding: Float
        public var normalization: Normalization
        /// For models with a dynamic input size (PP-OCR det): each side is a multiple of this…
        public var sizeMultiple: Int?
        /// …and the longer side at most this; `width` × `height` is then only the default.
        public var maxSide: Int?

        enum CodingKeys: String, CodingKey {
            case name, width, height, layout, channelOrder = "channel_order", resize, padding, normalization
            case sizeMultiple = "size_multiple", maxSide = "max_side"
        }

        /// The input size for a `sourceWidth × sourceHeight` frame: the fixed size, or for a
        /// dynamic model the frame scaled down to `maxSide` and each side rounded to the
        /// nearest `sizeMultiple` (PaddleOCR's `DetResizeForTest`).
        public func size(forSourceWidth sourceWidth: Int, sourceHeight: Int) -> (width: Int, height: Int) {
            guard let multiple = sizeMultiple, multiple > 0, sourceWidth > 0, sourceHeight > 0 else { return (width, height) }
            let limit = Double(maxSide ?? max(sourceWidth, sourceHeight))
            let ratio = min(1, limit / Double(max(sourceWidth, sourceHeight)))
            func round(_ side: Int) -> Int { max(multiple, Int((Double(side) * ratio / Double(multiple)).rounded()) * multiple) }
            return (round(sourceWidth), round(sourceHeight))
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            width = try c.decode(Int.self, forKey: .width)
            height = try c.decode(Int.self, forKey: .height)
            layout = try c.decodeIfPresent(String.self, forKey: .layout) ?? "NCHW"
            channelOrder = try c.decodeIfPresent(String.self, forKey: .channelOrder) ?? "RGB"
            resize = try c.decodeIfPresent(String.self, forKey: .resize) ?? "letterbox"
            padding = try c.decodeIfPresent(Float.self, forKey: .padding) ?? 0
            normalization = try c.decode(Normalization.self, forKey: .normalization)
            sizeMultiple = try c.decodeIfPresent(Int.self, forKey: .sizeMultiple)
            maxSide = try c.decodeIfPresent(Int.self, forKey: .maxSide)
        }
    }

    /// Pixel normalisation, given either as an output range for 0...255 input
    /// (`{"range": [-1, 1]}`) or as torchvision mean/std on 0...1 values
    /// (`{"mean": [...], "std": [...]}`). Both reduce to `value × scale + offset` per channel.
    public struct Normalization: Sendable, Decodable, Equatable {
        /// Multiplier per channel, applied to 0...255 values.
        public var scale: [Float]
        /// Added after scaling, per channel.
        public var offset: [Float]

        enum CodingKeys: String, CodingKey { case range, mean, std }

        public init(scale: [Float], offset: [Float]) {
            self.scale = scale; self.offset = offset
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let range = try c.decodeIfPresent([Float].self, forKey: .range) {
                guard range.count == 2, range[1] > range[0] else {
                    throw DecodingError.dataCorruptedError(forKey: .range, in: c, debugDescription: "range must be [low, high] with low < high")
                }
                let s = (range[1] - range[0]) / 255
                self.init(scale: [s, s, s], offset: [range[0], range[0], range[0]])
            } else {
                let mean = try c.decode([Float].self, forKey: .mean), std = try c.decode([Float].self, forKey: .std)
                guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
                    throw DecodingError.dataCorruptedError(forKey: .std, in: c, debugDescription: "mean and std need 3 values each, std > 0")
                }
                self.init(scale: std.map { 1 / (255 * $0) }, offset: zip(mean, std).map { -$0 / $1 })
            }
        }
    }

    /// Parameters of the `text_regions` head.
    public struct TextRegionOptions: Sendable, Decodable, Equatable {
        public var binaryThreshold: Float
        public var unclipRatio: Float
        public var minSize: Float
        public var maxCandidates: Int

        enum CodingKeys: String, CodingKey {
            case binaryThreshold = "binary_threshold", unclipRatio = "unclip_ratio", minSize = "min_size", maxCandidates = "max_candidates"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            binaryThreshold = try c.decodeIfPresent(Float.self, forKey: .binaryThreshold) ?? 0.3
            unclipRatio = try c.decodeIfPresent(Float.self, forKey: .unclipRatio) ?? 1.6
            minSize = try c.decodeIfPresent(Float.self, forKey: .minSize) ?? 3
            maxCandidates = try c.decodeIfPresent(Int.self, forKey: .maxCandidates) ?? 1000
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, shortName = "short_name", modelFile = "model_file", task, head, input, labels
        case scoreThreshold = "score_threshold", nms, anchors, blaze, textRegions = "text_regions"
        case keypointNames = "keypoint_names", source
    }

    /// Reads a sidecar.
    /// - Throws: `VisionError.cannotReadMetadata` for a missing file or malformed JSON.
    public static func load(path: String) throws -> ModelMetadata {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VisionError.cannotReadMetadata(path: path, reason: "cannot read the file")
        }
        do {
            return try JSONDecoder().decode(ModelMetadata.self, from: data)
        } catch let error as DecodingError {
            throw VisionError.cannotReadMetadata(path: path, reason: describe(error))
        }
    }

    /// The sidecar of a model file: `<dir>/<stem>.json`, or `<dir>/../<stem>.json` for models
    /// fetched into `Models/cache/` (the cache is not committed, the sidecars are).
    /// - Throws: `VisionError.metadataNotFound` listing the paths tried.
    public static func sidecarPath(forModel modelPath: String) throws -> String {
        let url = URL(fileURLWithPath: modelPath)
        let stem = url.deletingPathExtension().lastPathComponent
        let directory = url.deletingLastPathComponent()
        let candidates = [directory.appendingPathComponent(stem + ".json").path,
                          directory.deletingLastPathComponent().appendingPathComponent(stem + ".json").path]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw VisionError.metadataNotFound(modelPath: modelPath, searched: candidates)
        }
        return found
    }

    /// The sidecar of a model file, read.
    public static func load(forModel modelPath: String) throws -> ModelMetadata {
        try load(path: try sidecarPath(forModel: modelPath))
    }

    /// Every sidecar in `directory` (e.g. `Models/`), sorted by short name.
    public static func catalog(directory: String) throws -> [(metadata: ModelMetadata, sidecarPath: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            return (try load(path: path), path)
        }.sorted { $0.metadata.shortName < $1.metadata.shortName }
    }

    /// The sidecar in `directory` whose short name (or full name) is `name`, and the path of
    /// its model: beside the sidecar, or in `cache/` below it for fetched models.
    /// - Throws: `VisionError.unknownModel` listing the short names there are, or
    ///   `.modelFileMissing` when the model has not been fetched.
    public static func find(_ name: String, directory: String) throws -> (metadata: ModelMetadata, modelPath: String) {
        let all = try catalog(directory: directory)
        guard let entry = all.first(where: { $0.metadata.shortName == name || $0.metadata.name == name }) else {
            throw VisionError.unknownModel(name: name, available: all.map(\.metadata.shortName))
        }
        let base = URL(fileURLWithPath: directory)
        let candidates = [base.appendingPathComponent(entry.metadata.modelFile).path,
                          base.appendingPathComponent("cache").appendingPathComponent(entry.metadata.modelFile).path]
        guard let modelPath = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw VisionError.modelFileMissing(model: entry.metadata.name, searched: candidates)
        }
        return (entry.metadata, modelPath)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context): return "missing key '\(key.stringValue)' at '\(path(context))'"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "wrong type at '\(path(context))': \(context.debugDescription)"
        case let .dataCorrupted(context):
            return "invalid value at '\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
