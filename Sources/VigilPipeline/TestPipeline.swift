/// The synchronous twin of `Pipeline` for deterministic tests (swift-nio's EmbeddedChannel
/// idea): the same stages, sources and sinks, run one item at a time on the calling thread
/// and timed by a `ManualClock`, so latency logic is checked exactly.
///
/// ```swift
/// let clock = ManualClock()
/// let pipeline = TestPipeline<Int, Int>(clock: clock)
///     .then(ClosureStage { x in clock.advance(milliseconds: 20); return x * 2 }, name: "double")
/// let out = try pipeline.push(21)   // out.value == 42, out.timing.milliseconds("double") == 20
/// ```
public struct TestPipeline<Input, Output> {
    public let clock: ManualClock
    /// Stage names in order.
    public let stages: [String]
    private let body: (Input, inout FrameTiming) throws -> Output
    private let sequence: Counter

    /// An empty pipeline: outputs are its inputs.
    public init(clock: ManualClock) where Input == Output {
        self.init(clock: clock, stages: [], sequence: Counter()) { input, _ in input }
    }

    private init(clock: ManualClock, stages: [String], sequence: Counter, body: @escaping (Input, inout FrameTiming) throws -> Output) {
        self.clock = clock; self.stages = stages; self.sequence = sequence; self.body = body
    }

    /// Appends `stage` (its state persists across pushes).
    public func then<S: Stage>(_ stage: S, name: String) -> TestPipeline<Input, S.Output> where S.Input == Output {
        let box = StageBox(stage)
        let previous = body, clock = self.clock
        return TestPipeline<Input, S.Output>(clock: clock, stages: stages + [name], sequence: sequence) { input, timing in
            let intermediate = try previous(input, &timing)
            let start = clock.now()
            do {
                let output = try box.stage.process(intermediate)
                timing.spans.append(StageSpan(stage: name, start: start, end: clock.now()))
                return output
            } catch {
                throw PipelineError.stageFailed(stage: name, sequence: timing.sequence, underlying: error)
            }
        }
    }

    /// Runs one item through every stage; the timeline starts now and `arrival` is set
    /// after the last stage.
    public func push(_ input: Input) throws -> Timed<Output> {
        var timing = FrameTiming(sequence: sequence.next())
        let output = try body(input, &timing)
        timing.arrival = clock.now()
        return Timed(value: output, timing: timing)
    }

    /// Drives `source` → stages → `sink` to the end, exactly as `Pipeline.run` does but
    /// without threads or queues (so nothing is ever dropped).
    @discardableResult
    public func run<S: SourceStage, K: SinkStage>(source: S, sourceName: String = StageName.decode, into sink: inout K) throws -> PipelineReport
    where S.Output == Input, K.Input == Output {
        var source = source
        var latency = LatencyStats()
        let begin = clock.now()
        var produced = 0
        while true {
            let start = clock.now()
            let item: Input?
            do { item = try source.next() } catch {
                throw PipelineError.stageFailed(stage: sourceName, sequence: produced, underlying: error)
            }
            guard let item else { break }
            var timing = FrameTiming(sequence: sequence.next(), spans: [StageSpan(stage: sourceName, start: start, end: clock.now())])
            produced += 1
            let output = try body(item, &timing)
            timing.arrival = clock.now()
            do { try sink.consume(output, timing: timing) } catch {
                throw PipelineError.stageFailed(stage: "sink", sequence: timing.sequence, underlying: error)
            }
            latency.record(timing)
        }
        do { try sink.finish() } catch { throw PipelineError.sinkFinishFailed(stage: "sink", underlying: error) }
        return PipelineReport(produced: produced, delivered: produced, dropped: [:], latency: latency,
                              milliseconds: Double(clock.now() - begin) / 1e6)
    }
}

/// A shared sequence counter (test pipelines are single-threaded).
private final class Counter {
    private var value = 0
    func next() -> Int { defer { value += 1 }; return value }
}
