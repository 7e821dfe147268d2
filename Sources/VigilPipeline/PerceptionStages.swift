import VigilEngine
import VigilMedia
import VigilVision

/// A frame resized and normalised into the model's input layout.
public struct ModelInput: Sendable {
    public var frameIndex: Int
    public var pts: Double
    /// The input tensor's values, in the model's layout.
    public var values: [Float]
    /// Maps input pixels back to the frame.
    public var transform: InputTransform
    /// The decoded frame, kept only when the pipeline was made with `keepFrames` (for snapshots).
    public var frame: VideoFrame? = nil
}

/// A model's outputs for one frame.
public struct ModelOutput: Sendable {
    public var frameIndex: Int
    public var pts: Double
    public var outputs: [String: Tensor]
    public var transform: InputTransform
    /// The decoded frame, when the pipeline keeps frames.
    public var frame: VideoFrame? = nil
}

/// What the task head found in one frame, in source pixels: the sink's input.
public struct FrameResult: Sendable, Equatable {
    public var frameIndex: Int
    public var pts: Double
    public var detections: [Detection]
    /// Masks for segmentation heads, nil for heads that make none.
    public var masks: [RunLengthMask]?
    /// The decoded frame, when the pipeline was made with `keepFrames` (for `SnapshotSink`);
    /// nil otherwise. Compared by identity in `==`.
    public var frame: VideoFrame?
    /// When the frame was captured (its decode began) and when its result was emitted, in
    /// seconds since the run's first capture; set by `TrackingSink`, nil otherwise.
    public var capturedAt: Double?
    public var emittedAt: Double?

    public init(frameIndex: Int, pts: Double, detections: [Detection], masks: [RunLengthMask]? = nil, frame: VideoFrame? = nil) {
        self.frameIndex = frameIndex; self.pts = pts; self.detections = detections; self.masks = masks
        self.frame = frame
    }

    public static func == (a: FrameResult, b: FrameResult) -> Bool {
        a.frameIndex == b.frameIndex && a.pts == b.pts && a.detections == b.detections && a.masks == b.masks
            && a.frame === b.frame && a.capturedAt == b.capturedAt && a.emittedAt == b.emittedAt
    }
}

extension InputTransform {
    /// The Vision-side copy of a Media letterbox.
    public init(_ letterbox: Letterbox) {
        self.init(sourceWidth: letterbox.sourceWidth, sourceHeight: letterbox.sourceHeight,
                  scaleX: letterbox.scaleX, scaleY: letterbox.scaleY,
                  offsetX: Double(letterbox.offsetX), offsetY: Double(letterbox.offsetY))
    }
}

/// decode: frames from a video file, in presentation order.
public struct VideoDecodeStage: SourceStage {
    public let video: VideoFileSource
    /// Stop after this many frames (nil: the whole file).
    public var maxFrames: Int?
    private var delivered = 0

    public init(video: VideoFileSource, maxFrames: Int? = nil) {
        self.video = video; self.maxFrames = maxFrames
    }

    public mutating func next() throws -> VideoFrame? {
        if let maxFrames, delivered >= maxFrames { return nil }
        guard let frame = try video.nextFrame() else { return nil }
        delivered += 1
        return frame
    }
}

/// preprocess: resize (letterbox or stretch, as the sidecar says), normalise, lay out.
public struct PreprocessStage: Stage {
    public let scaler: Scaler
    /// Carry the decoded frame along in `ModelInput.frame` (for snapshots).
    public var keepFrames = false

    /// - Parameters:
    ///   - input: the sidecar's input description.
    ///   - width: the input width to produce (the sidecar's, or the size a dynamic model was planned for).
    /// - Throws: `VisionError.invalidMetadata` for an unknown layout, channel order or resize mode.
    public init(input: ModelMetadata.Input, width: Int, height: Int) throws {
        func invalid(_ what: String, _ value: String) -> VisionError {
            .invalidMetadata(model: input.name ?? "input", reason: "unknown \(what) '\(value)'")
        }
        let layout: Scaler.Layout
        switch input.layout.uppercased() {
        case "NHWC": layout = .nhwc
        case "NCHW": layout = .nchw
        default: throw invalid("layout", input.layout)
        }
        let order: Scaler.ChannelOrder
        switch input.channelOrder.uppercased() {
        case "RGB": order = .rgb
        case "BGR": order = .bgr
        default: throw invalid("channel order", input.channelOrder)
        }
        let mode: Scaler.Mode
        switch input.resize {
        case "letterbox": mode = .letterbox(padding: input.padding)
        case "stretch": mode = .stretch
        default: throw invalid("resize mode", input.resize)
        }
        let n = input.normalization
        guard n.scale.count == 3, n.offset.count == 3 else { throw invalid("normalisation", "\(n)") }
        scaler = Scaler(width: width, height: height, mode: mode, layout: layout,
                        normalization: .init(scale: SIMD3(n.scale), offset: SIMD3(n.offset)), channelOrder: order)
    }

    public func process(_ frame: VideoFrame) throws -> ModelInput {
        // The scaler writes every element, so the array is not zero-filled first.
        let values = try [Float](unsafeUninitializedCapacity: scaler.outputCount) { buffer, count in
            try scaler.scale(frame, into: buffer)
            count = buffer.count
        }
        let letterbox = scaler.letterbox(sourceWidth: frame.width, sourceHeight: frame.height)
        return ModelInput(frameIndex: frame.index, pts: frame.pts, values: values, transform: InputTransform(letterbox),
                          frame: keepFrames ? frame : nil)
    }
}

/// inference: one planned session, run once per frame.
public struct InferenceStage: Stage {
    public let session: InferenceSession
    private let outputs: [(name: String, shape: [Int])]

    public init(session: InferenceSession) {
        self.session = session
        outputs = session.outputs
    }

    public func process(_ input: ModelInput) throws -> ModelOutput {
        let buffer = session.inputBuffer(0)
        guard buffer.count == input.values.count else {
            throw EngineError.inputShapeMismatch(name: session.inputs.first?.name ?? "input",
                                                 expected: "\(session.inputs.first?.shape ?? [])", got: [input.values.count])
        }
        _ = input.values.withUnsafeBufferPointer { buffer.update(fromContentsOf: $0) }
        try session.run()
        var tensors: [String: Tensor] = [:]
        for (i, output) in outputs.enumerated() {
            tensors[output.name] = Tensor(shape: output.shape, floats: Array(session.outputBuffer(i)))
        }
        return ModelOutput(frameIndex: input.frameIndex, pts: input.pts, outputs: tensors, transform: input.transform,
                           frame: input.frame)
    }
}

/// postprocess: the sidecar's task head.
public struct PostprocessStage: Stage {
    public let head: TaskHead

    public init(head: TaskHead) {
        self.head = head
    }

    public func process(_ output: ModelOutput) throws -> FrameResult {
        let result = try head.decode(outputs: output.outputs, transform: output.transform)
        let masks: [RunLengthMask]?
        if case .segmentation = head { masks = result.masks } else { masks = nil }
        return FrameResult(frameIndex: output.frameIndex, pts: output.pts, detections: result.detections, masks: masks,
                           frame: output.frame)
    }
}

/// The standard perception pipeline: decode → preprocess → inference → postprocess.
public enum PerceptionPipeline {
    /// The input shape to plan a session with for frames of `sourceWidth × sourceHeight`
    /// (dynamic-size models get a size derived from the frame).
    public static func inputShape(for metadata: ModelMetadata, sourceWidth: Int, sourceHeight: Int) -> [Int] {
        let (width, height) = metadata.input.size(forSourceWidth: sourceWidth, sourceHeight: sourceHeight)
        return metadata.input.layout.uppercased() == "NHWC" ? [1, height, width, 3] : [1, 3, height, width]
    }

    /// Wires the four stages; finish with `.run(into: JSONLinesWriter(...))`.
    /// - Parameters:
    ///   - sessions: one per frame inference works on at once, each planned for
    ///     `inputShape(for:sourceWidth:sourceHeight:)` of this video. One session with N
    ///     threads gives the lowest latency per frame (every layer split across threads);
    ///     N one-thread sessions give the most frames per second (frame parallelism; results
    ///     still leave in frame order).
    ///   - policy: `.block` for files (lossless), `.dropOldest` for live sources.
    ///   - keepFrames: carry each decoded frame through to `FrameResult.frame` (for `SnapshotSink`).
    public static func make(video: sending VideoFileSource, metadata: ModelMetadata, sessions: [InferenceSession], maxFrames: Int? = nil,
                            capacity: Int = 2, policy: DropPolicy = .block, clock: any PipelineClock = MonotonicClock(),
                            keepFrames: Bool = false) throws -> Pipeline<FrameResult> {
        precondition(!sessions.isEmpty, "the pipeline needs an inference session")
        let (width, height) = metadata.input.size(forSourceWidth: video.width, sourceHeight: video.height)
        var preprocess = try PreprocessStage(input: metadata.input, width: width, height: height)
        preprocess.keepFrames = keepFrames
        let head = try TaskHead(metadata: metadata)
        let preprocessed = Pipeline(source: VideoDecodeStage(video: video, maxFrames: maxFrames), name: StageName.decode, clock: clock)
            .then(preprocess, name: StageName.preprocess, capacity: capacity, policy: policy)
        let inferred = sessions.count == 1
            ? preprocessed.then(InferenceStage(session: sessions[0]), name: StageName.inference, capacity: capacity, policy: policy)
            // Room for one waiting frame per replica, so no replica idles while another finishes.
            : preprocessed.then(replicas: sessions.map(InferenceStage.init), name: StageName.inference,
                                capacity: max(capacity, sessions.count), policy: policy)
        return inferred.then(PostprocessStage(head: head), name: StageName.postprocess, capacity: capacity, policy: policy)
    }

    /// `make(sessions:)` with one session.
    public static func make(video: sending VideoFileSource, metadata: ModelMetadata, session: InferenceSession, maxFrames: Int? = nil,
                            capacity: Int = 2, policy: DropPolicy = .block, clock: any PipelineClock = MonotonicClock(),
                            keepFrames: Bool = false) throws -> Pipeline<FrameResult> {
        try make(video: video, metadata: metadata, sessions: [session], maxFrames: maxFrames, capacity: capacity, policy: policy,
                 clock: clock, keepFrames: keepFrames)
    }
}
