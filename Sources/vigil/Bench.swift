import ArgumentParser
import Foundation
import VigilEngine

/// `vigil bench MODEL`: latency of the planned model on this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's latency: median, min and max over repeated runs, GFLOP/s and peak memory.")

    @Argument(help: "Model file (.onnx or .tflite).")
    var model: String

    @Option(help: "Input height and width as HxW (required for dynamic inputs).")
    var size: String?

    @Option(help: "Threads per kernel.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Timed runs.")
    var runs: Int = 20

    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 3

    @Flag(help: "Also print time per kernel kind.")
    var profile = false

    @Flag(help: "Also time every step alone (median over the runs), with convolution shapes in --json.")
    var steps = false

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        if let size, parseSize(size) == nil { throw ValidationError("--size must look like 640x480 (height x width)") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let graph = try loadModel(path: model)
        let shapes = try graph.concreteInputShapes(size: size.flatMap(parseSize))
        let benchmark = ModelBenchmark(warmupRuns: warmup, runs: runs)
        var result = try benchmark.measure(graph: graph, modelName: (model as NSString).lastPathComponent, inputShapes: shapes, threads: threads)
        if steps { result.steps = try benchmark.stepTimings(graph: graph, inputShapes: shapes, threads: threads) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("model        \(result.model)")
        print("input        \(result.inputShapes.map { "\($0)" }.joined(separator: ", "))")
        print("cpu          \(result.cpu)")
        print("threads      \(result.threads)")
        print(String(format: "latency      median %.3f ms  (min %.3f, max %.3f; %d runs after %d warm-up)", result.medianMs, result.minMs, result.maxMs, result.runs, warmup))
        print(String(format: "throughput   %.2f GFLOP/s  (%.3f GFLOP per run)", result.gflopsPerSecond, Double(result.flops) / 1e9))
        print(String(format: "memory       max RSS %.1f MiB, activation arena %.1f MiB", Double(result.maxRSSBytes) / 1048576, Double(result.arenaBytes) / 1048576))
        print(String(format: "plan         %.1f ms", result.planMs))
        if profile {
            for entry in try ModelBenchmark(warmupRuns: warmup, runs: runs).profile(graph: graph, inputShapes: shapes, threads: threads) {
                print(entry.kind.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %9.3f ms  %4d steps", entry.milliseconds, entry.steps))
            }
        }
        if let timings = result.steps {
            // Every step in plan order, with its GFLOP/s where it computes.
            for step in timings {
                let rate = step.flops > 0 && step.ms > 0 ? String(format: "%6.1f GFLOP/s", Double(step.flops) / step.ms / 1e6) : String(repeating: " ", count: 13)
                var line = String(format: "  %9.3f ms  %@  %@  %@", step.ms, rate, step.kind, step.name)
                if let c = step.conv {
                    line += "  [\(c.h)x\(c.w)x\(c.cin) -> \(c.oh)x\(c.ow)x\(c.cout), \(c.kh)x\(c.kw)/\(c.sh), groups \(c.groups)]"
                }
                print(line)
            }
        }
        if result.referenceSteps > 0 { print("note         \(result.referenceSteps) steps run through reference operators") }
    }
}

/// Parses "HxW".
func parseSize(_ text: String) -> (height: Int, width: Int)? {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
    return (parts[0], parts[1])
}
