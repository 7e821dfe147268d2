import VigilVision

/// Wraps a sink and runs the multi-object tracker on each result before forwarding it: the
/// detections become the confirmed tracks matched in that frame, each with its stable `trackID`
/// and velocity, and the result carries its capture and emission times.
///
/// The tracker's time axis is the frame's pts. Capture is when the decoder began on the frame
/// and emission is its arrival at the sink, both from the pipeline's clock, so
/// `emittedAt − capturedAt` is the latency a live consumer sees. With `forecast`, each box is
/// moved from the frame's time to the time of emission (or `pts + horizon` when a horizon is
/// given) along its track's velocity, so that the output describes the present.
public struct TrackingSink<Inner: SinkStage>: SinkStage where Inner.Input == FrameResult {
    public typealias Input = FrameResult
    public var inner: Inner
    public private(set) var tracker: MultiObjectTracker
    public var forecast: Bool
    /// Fixed forecast horizon in seconds; nil forecasts to the measured emission time.
    public var horizon: Double?
    private var origin: UInt64?

    public init(_ inner: Inner, tracker: MultiObjectTracker = MultiObjectTracker(), forecast: Bool = false, horizon: Double? = nil) {
        self.inner = inner
        self.tracker = tracker
        self.forecast = forecast
        self.horizon = horizon
    }

    public mutating func consume(_ input: FrameResult, timing: FrameTiming) throws {
        let start = timing.start ?? timing.arrival ?? 0
        let arrival = timing.arrival ?? start
        let origin = self.origin ?? start
        self.origin = origin
        let capturedAt = Double(start &- origin) / 1e9, emittedAt = Double(arrival &- origin) / 1e9
        let target = input.pts + (horizon ?? max(emittedAt - capturedAt, 0))

        let objects = tracker.update(detections: input.detections, at: input.pts)
        var output = input
        output.capturedAt = capturedAt
        output.emittedAt = emittedAt
        output.detections = objects.map { object in
            var detection = input.detections[object.detectionIndex]
            detection.trackID = object.id
            detection.velocity = Velocity(x: object.velocity.x, y: object.velocity.y)
            detection.score = object.score
            let box = forecast ? object.box(at: target) : object.box
            // Landmarks move with the box they belong to.
            let dx = box.centerX - detection.box.centerX, dy = box.centerY - detection.box.centerY
            detection.keypoints = detection.keypoints.map { Keypoint(x: $0.x + dx, y: $0.y + dy) }
            detection.box = box
            return detection
        }
        try inner.consume(output, timing: timing)
    }

    public mutating func finish() throws {
        try inner.finish()
    }
}
