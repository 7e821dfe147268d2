/// When one stage worked on one item, in clock nanoseconds.
public struct StageSpan: Sendable, Equatable {
    public var stage: String
    public var start: UInt64
    public var end: UInt64

    public init(stage: String, start: UInt64, end: UInt64) {
        self.stage = stage; self.start = start; self.end = end
    }

    public var milliseconds: Double { Double(end &- start) / 1e6 }
}

/// The timeline of one item through the pipeline: one span per stage, in pipeline order,
/// and the end-to-end latency from the moment the source began producing the item (the
/// decoder started on the frame) to its arrival at the sink. Queue waits are the gaps
/// between spans, so `endToEnd` ≥ the sum of the stage times.
public struct FrameTiming: Sendable, Equatable {
    /// Position in source order, from 0.
    public var sequence: Int
    public var spans: [StageSpan]
    /// Clock time at the sink; nil until the item gets there.
    public var arrival: UInt64?

    public init(sequence: Int, spans: [StageSpan] = [], arrival: UInt64? = nil) {
        self.sequence = sequence; self.spans = spans; self.arrival = arrival
    }

    /// Clock time the source began on the item.
    public var start: UInt64? { spans.first?.start }

    /// Milliseconds `stage` spent on the item, nil if it did not see it.
    public func milliseconds(_ stage: String) -> Double? {
        spans.first { $0.stage == stage }?.milliseconds
    }

    /// Milliseconds from the source's start on the item to its arrival at the sink.
    public var endToEnd: Double? {
        guard let start, let arrival else { return nil }
        return Double(arrival &- start) / 1e6
    }

    /// Conventional stage names of a perception pipeline.
    public var decode: Double? { milliseconds(StageName.decode) }
    public var preprocess: Double? { milliseconds(StageName.preprocess) }
    public var inference: Double? { milliseconds(StageName.inference) }
    public var postprocess: Double? { milliseconds(StageName.postprocess) }
}

/// The stage names the JSON output and the latency tables use.
public enum StageName {
    public static let decode = "decode"
    public static let preprocess = "preprocess"
    public static let inference = "inference"
    public static let postprocess = "postprocess"
    public static let endToEnd = "end_to_end"
}
