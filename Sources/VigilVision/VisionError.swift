/// Everything that can go wrong while reading model metadata or decoding a task head's
/// outputs. Each message names the model or head at fault and what to check.
public enum VisionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The metadata sidecar could not be read or parsed.
    case cannotReadMetadata(path: String, reason: String)
    /// The sidecar parsed but its values are inconsistent (e.g. anchor count ≠ `num_boxes`).
    case invalidMetadata(model: String, reason: String)
    /// No sidecar beside the model file.
    case metadataNotFound(modelPath: String, searched: [String])
    /// No sidecar has this name or short name.
    case unknownModel(name: String, available: [String])
    /// The sidecar exists but its model file is neither beside it nor in `cache/`.
    case modelFileMissing(model: String, searched: [String])
    /// The sidecar names a task head Vigil does not implement.
    case unsupportedHead(model: String, head: String)
    /// A model output the head needs is missing.
    case missingOutput(head: String, expected: String, available: [String])
    /// A model output has a shape the head cannot decode.
    case outputShapeMismatch(head: String, expected: String, got: [Int])

    /// A MOTChallenge text file has a row that is not `frame,id,x,y,w,h,score,…`.
    case malformedMOTRow(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .cannotReadMetadata(path, reason):
            return "cannot read model metadata '\(path)': \(reason) (check the JSON sidecar beside the model)"
        case let .invalidMetadata(model, reason):
            return "invalid metadata for model '\(model)': \(reason)"
        case let .metadataNotFound(modelPath, searched):
            return "no metadata sidecar for '\(modelPath)'; looked for \(searched.joined(separator: ", ")) (write one beside the model, in the format of Models/face_detection_short_range.json)"
        case let .unknownModel(name, available):
            return "no model named '\(name)'; available: \(available.joined(separator: ", "))"
        case let .modelFileMissing(model, searched):
            return "the file of model '\(model)' is missing; looked for \(searched.joined(separator: ", ")) (run scripts/fetch_models.sh)"
        case let .unsupportedHead(model, head):
            return "model '\(model)' asks for task head '\(head)'; supported: blaze, yolo, text_regions, segmentation"
        case let .missingOutput(head, expected, available):
            return "the \(head) head needs output \(expected), the model has \(available)"
        case let .malformedMOTRow(path, line, reason):
            return "\(path):\(line): not a MOTChallenge row (frame,id,x,y,w,h,score,…): \(reason)"
        case let .outputShapeMismatch(head, expected, got):
            return "the \(head) head expects an output of shape \(expected), got \(got) (does the sidecar match the model?)"
        }
    }
}
