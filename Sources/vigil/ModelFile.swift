import VigilEngine

/// Loads a model file by its format (ONNX or TFLite, from its bytes and extension).
func loadModel(path: String) throws -> Graph {
    try ModelLoader.load(path: path)
}
