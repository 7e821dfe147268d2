import Foundation

/// Loads a model file with the importer its format needs.
public enum ModelLoader {
    /// Model file formats Vigil imports.
    public enum Format: Sendable, Equatable {
        case onnx
        case tflite
    }

    /// Loads the model at `path`, choosing the importer by magic bytes, then by extension.
    public static func load(path: String) throws -> Graph {
        let data = try readModelFile(path: path)
        guard let format = format(of: data, path: path) else {
            throw EngineError.cannotReadModel(path: path, reason: "unknown model format; Vigil reads .onnx and .tflite files")
        }
        switch format {
        case .onnx: return try ONNXImporter.importModel(data: data)
        case .tflite: return try TFLiteImporter.importModel(data: data)
        }
    }

    /// The bytes of a model file; an unreadable file is `EngineError.cannotReadModel`.
    static func readModelFile(path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EngineError.cannotReadModel(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The format of a model file: a TFLite flatbuffer carries the identifier "TFL3" at byte 4;
    /// otherwise the extension decides.
    public static func format(of data: Data, path: String) -> Format? {
        if data.count >= 8, Array(data.dropFirst(4).prefix(4)) == Array("TFL3".utf8) { return .tflite }
        switch (path as NSString).pathExtension.lowercased() {
        case "tflite", "lite": return .tflite
        case "onnx": return .onnx
        default:
            // An ONNX ModelProto starts with field 1 (ir_version) as a varint: tag byte 0x08.
            return data.first == 0x08 ? .onnx : nil
        }
    }
}
