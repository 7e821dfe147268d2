import ArgumentParser
import Foundation
import VigilEngine
import VigilMedia
import VigilPipeline
import VigilVision

/// Options shared by `detect`, `segment` and `track`.
struct PerceptionOptions: ParsableArguments {
    @Option(help: "Model short name from Models/ (see `vigil models`) or a model file path with a JSON sidecar beside it.")
    var model: String?

    @Option(help: "Write JSON Lines here instead of standard output.")
    var output: String?

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Inference threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(inversion: .prefixedNo,
          help: "Give each inference thread its own copy of the model and its own frame: the most frames per second, results still in frame order. Without it the threads share the layers of one frame at a time: the least latency per frame. Default: on for files, off for live stream URLs (rtsp://, udp://, ...).")
    var frameParallel: Bool?

    @Option(help: "Decoder threads (0: FFmpeg's choice, one per core).")
    var decoderThreads: Int = 0

    @Option(help: "Directory holding the model sidecars (default: ./Models, then the one beside the executable).")
    var modelsDirectory: String?

    @Option(help: "Write a JPEG of each frame with its detection boxes drawn into this directory (created if missing), as frame_000000.jpg, ….")
    var snapshots: String?

    func validate() throws {
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if decoderThreads < 0 { throw ValidationError("--decoder-threads must be at least 0") }
    }
}

/// How `vigil track` turns detections into tracks on the way to the sink.
struct TrackingSettings {
    var configuration: TrackerConfiguration
    var forecast: Bool
    /// Seconds; nil forecasts to each result's measured emission time.
    var horizon: Double?
}

/// Runs decode → preprocess → inference → postprocess (→ tracker) → JSON Lines over a video
/// file and prints the latency summary on stderr.
func runPerception(_ options: PerceptionOptions, input: String, defaultModel: String, tasks: Set<String>,
                   tracking: TrackingSettings? = nil) throws {
    let (metadata, modelPath) = try resolveModel(options.model ?? defaultModel, directory: options.modelsDirectory)
    guard tasks.contains(metadata.task) else {
        throw ValidationError("model '\(metadata.shortName)' is a \(metadata.task) model; use `vigil \(metadata.task == "segmentation" ? "segment" : "detect")`")
    }
    let video = try VideoFileSource(path: input, threads: options.decoderThreads)
    let graph = try ModelLoader.load(path: modelPath)
    let shape = PerceptionPipeline.inputShape(for: metadata, sourceWidth: video.width, sourceHeight: video.height)
    let inputName = metadata.input.name ?? graph.inputDescriptions.first?.name ?? ""
    // Frame parallelism (files): one single-thread session per thread, each on its own frame.
    // A frame then takes as long as at one thread, but inference, usually the slowest stage,
    // finishes `threads` frames in that time, and small models scale better across frames than
    // across the rows of one frame. Live streams want each result soon: every thread on one frame.
    let frameParallel = options.frameParallel ?? !isLiveStream(input)
    let sessions = try (0..<(frameParallel ? options.threads : 1)).map { _ in
        try InferenceSession(graph: graph, inputShapes: [inputName: shape], threads: frameParallel ? 1 : options.threads)
    }
    var expected = video.declaredFrameCount
    if let limit = options.maxFrames { expected = min(expected ?? limit, limit) }
    if let directory = options.snapshots { try createSnapshotDirectory(directory) }
    let writer = try options.output.map { try JSONLinesWriter(path: $0) } ?? JSONLinesWriter.standardOutput()
    let pipeline = try PerceptionPipeline.make(video: video, metadata: metadata, sessions: sessions, maxFrames: options.maxFrames,
                                               keepFrames: options.snapshots != nil)
    // Tracker first, so that snapshots show the tracked (and forecast) boxes.
    func run<S: SinkStage>(_ sink: sending S) throws -> PipelineReport where S.Input == FrameResult {
        guard let tracking else { return try pipeline.run(into: ProgressSink(sink, total: expected)) }
        let tracker = MultiObjectTracker(configuration: tracking.configuration)
        return try pipeline.run(into: ProgressSink(TrackingSink(sink, tracker: tracker, forecast: tracking.forecast, horizon: tracking.horizon),
                                                   total: expected))
    }
    let report: PipelineReport
    if let directory = options.snapshots {
        report = try run(SnapshotSink(writer, directory: directory))
    } else {
        report = try run(writer)
    }
    printSummary(report, model: metadata.shortName, input: input,
                 inference: frameParallel && options.threads > 1 ? "\(options.threads) frames at once, 1 thread each"
                     : "1 frame at a time, \(options.threads) thread\(options.threads == 1 ? "" : "s")")
}

/// Whether `input` names a live stream rather than a file: a URL whose protocol delivers
/// frames as they are captured, where results should describe the present.
func isLiveStream(_ input: String) -> Bool {
    guard let colon = input.range(of: "://") else { return false }
    let scheme = input[..<colon.lowerBound].lowercased()
    return ["rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "rtp", "tcp"].contains(scheme)
}

/// Creates the `--snapshots` directory (and its parents) or fails with one clear line.
func createSnapshotDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw ValidationError("--snapshots '\(path)' exists and is not a directory") }
        guard FileManager.default.isWritableFile(atPath: path) else { throw ValidationError("--snapshots directory '\(path)' is not writable") }
        return
    }
    // mkdir -p by hand, so the failure names the real cause (strerror) rather than Foundation's generic text.
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw ValidationError("cannot create --snapshots directory '\(path)': \(String(cString: strerror(errno))) at '\(prefix)'")
        }
        prefix += "/"
    }
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("cannot create --snapshots directory '\(path)': a path component is not a directory")
    }
}

func printSummary(_ report: PipelineReport, model: String, input: String, inference: String) {
    var text = String(format: "vigil: %d frames of %@ with model '%@' (inference: %@) in %.2f s: %.1f fps\n",
                      report.delivered, (input as NSString).lastPathComponent, model, inference, report.milliseconds / 1000, report.throughput)
    if report.totalDropped > 0 { text += "dropped: \(report.dropped)\n" }
    text += "stage        p50 ms    p90 ms    p99 ms    max ms\n"
    for s in report.latency.summaries {
        text += s.stage.padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(format: "%7.2f   %7.2f   %7.2f   %7.2f\n", s.p50, s.p90, s.p99, s.max)
    }
    FileHandle.standardError.write(Data(text.utf8))
}

/// A model short name from the sidecar catalogue, or a model path with a sidecar beside it.
func resolveModel(_ name: String, directory: String?) throws -> (ModelMetadata, String) {
    if name.contains("/") || name.hasSuffix(".onnx") || name.hasSuffix(".tflite") {
        return (try ModelMetadata.load(forModel: name), name)
    }
    let found = try ModelMetadata.find(name, directory: directory ?? defaultModelsDirectory())
    return (found.metadata, found.modelPath)
}

/// ./Models when run from the repository, else the Models/ the executable was built beside.
func defaultModelsDirectory() -> String {
    let local = FileManager.default.currentDirectoryPath + "/Models"
    if FileManager.default.fileExists(atPath: local) { return local }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = url.appendingPathComponent("Models").path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        url.deleteLastPathComponent()
    }
    return local
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect objects in every frame of a video: JSON Lines with boxes and per-stage latency.")
    @Argument(help: "Video file.")
    var input: String
    @OptionGroup var options: PerceptionOptions
    func run() throws { try runPerception(options, input: input, defaultModel: "face", tasks: ["detection", "text"]) }
}

struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment every frame of a video: JSON Lines with run-length masks and per-stage latency.")
    @Argument(help: "Video file.")
    var input: String
    @OptionGroup var options: PerceptionOptions
    func run() throws { try runPerception(options, input: input, defaultModel: "selfie", tasks: ["segmentation"]) }
}

struct ModelList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the models Vigil knows by short name.")
    @Option(help: "Directory holding the model sidecars.")
    var modelsDirectory: String?
    func run() throws {
        for entry in try ModelMetadata.catalog(directory: modelsDirectory ?? defaultModelsDirectory()) {
            let m = entry.metadata
            print(m.shortName.padding(toLength: 10, withPad: " ", startingAt: 0) + m.task.padding(toLength: 14, withPad: " ", startingAt: 0) + m.modelFile)
        }
    }
}
