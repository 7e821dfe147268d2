import ArgumentParser
import Foundation
import VigilEngine

/// `vigil infer MODEL --input IN.npy --output OUT.npy`: runs any supported model on a tensor.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a model on a .npy tensor and write its outputs as .npy.")

    @Argument(help: "Model file (.onnx or .tflite).")
    var model: String

    @Option(help: "Input tensor (float32 .npy in the model's layout).")
    var input: String

    @Option(help: "Write the first output here.")
    var output: String?

    @Option(help: "Write every output into this directory as <name>.npy.")
    var outputDir: String?

    @Flag(help: "Run with the naive reference operators (slow; for checking).")
    var reference = false

    func validate() throws {
        if output == nil && outputDir == nil { throw ValidationError("give --output or --output-dir") }
    }

    @Option(help: "Threads per kernel.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let graph = try ModelLoader.load(path: model)
        let tensor = try NPY.read(path: input)
        guard let inputName = graph.inputDescriptions.first?.name else { throw ValidationError("the model has no inputs") }
        let results: [String: Tensor]
        if reference {
            results = try ReferenceInterpreter.run(graph, inputs: [inputName: tensor])
        } else {
            let session = try InferenceSession(graph: graph, inputShapes: [inputName: tensor.shape], threads: threads)
            results = try session.run([inputName: tensor])
        }
        if let output, let first = graph.outputNames.first, let value = results[first] {
            try NPY.write(value, path: output)
        }
        if let outputDir {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            for name in graph.outputNames {
                guard let value = results[name] else { continue }
                let safe = name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" }
                try NPY.write(value, path: outputDir + "/" + String(safe) + ".npy")
            }
        }
    }
}
