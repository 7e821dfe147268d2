import Foundation

/// A value in flight with its timeline so far.
public struct Timed<Value> {
    public var value: Value
    public var timing: FrameTiming

    public init(value: Value, timing: FrameTiming) {
        self.value = value; self.timing = timing
    }
}

extension Timed: Sendable where Value: Sendable {}

/// What a finished run did.
public struct PipelineReport: Sendable {
    /// Items the source produced.
    public var produced: Int
    /// Items that reached the sink.
    public var delivered: Int
    /// Elements dropped by `.dropOldest` queues, keyed by the stage each queue feeds.
    public var dropped: [String: Int]
    /// Per-stage and end-to-end latency of the delivered items.
    public var latency: LatencyStats
    /// Clock time from the start of the run to the sink's last item.
    public var milliseconds: Double

    /// Delivered items per second of run time.
    public var throughput: Double { milliseconds > 0 ? Double(delivered) / (milliseconds / 1000) : 0 }
    public var totalDropped: Int { dropped.values.reduce(0, +) }
}

/// Asks a running pipeline to stop from any thread: the source ends the stream after its
/// current item and everything already queued drains to the sink (a live source's Ctrl-C).
public final class StopHandle: @unchecked Sendable {
    // @unchecked: `requested` is guarded by `lock`.
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func stop() {
        lock.lock(); requested = true; lock.unlock()
    }

    public var isStopRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }
}

/// A linear frame pipeline, source → stages → sink, one thread per step, joined by bounded
/// queues. Built step by step, then run once:
///
/// ```swift
/// let report = try Pipeline(source: decoder)
///     .then(preprocess, name: "preprocess", capacity: 2)
///     .then(infer, name: "inference")
///     .then(postprocess, name: "postprocess")
///     .run(into: writer)
/// ```
///
/// Each queue belongs to the stage it feeds and has its own capacity and `DropPolicy`.
/// Stages keep their order, so items arrive in source order. The first error anywhere
/// cancels every queue (waking every blocked thread) and `run` rethrows it once all threads
/// have exited: no hang, no half-drained queues.
public struct Pipeline<Output: Sendable> {
    typealias Worker = (name: String, body: @Sendable () -> Void)

    private let clock: any PipelineClock
    private let control: RunControl
    private var workers: [Worker]
    /// The last step's threads (one, or one per replica), waiting for the queue their output goes to.
    private let pending: (BoundedQueue<Timed<Output>>) -> [Worker]
    /// Set by callers to end a live run early.
    public let stopHandle: StopHandle

    /// Starts a pipeline at `source`, timed as stage `name`.
    public init<S: SourceStage>(source: sending S, name: String = StageName.decode, clock: any PipelineClock = MonotonicClock())
    where S.Output == Output, S: SendableMetatype {
        let control = RunControl()
        let stopHandle = StopHandle()
        let box = StageBox(source)
        self.clock = clock
        self.control = control
        self.stopHandle = stopHandle
        workers = []
        pending = { output in
            [(name, { @Sendable in
                var sequence = 0
                defer { output.close() }
                while !control.isCancelled && !stopHandle.isStopRequested {
                    let start = clock.now()
                    let item: Output?
                    do { item = try box.stage.next() } catch {
                        control.fail(.stageFailed(stage: name, sequence: sequence, underlying: error))
                        return
                    }
                    guard let item else { return }
                    var timing = FrameTiming(sequence: sequence)
                    timing.spans.reserveCapacity(8)
                    timing.spans.append(StageSpan(stage: name, start: start, end: clock.now()))
                    sequence += 1
                    control.countProduced()
                    guard output.push(Timed(value: item, timing: timing)) else { return }
                }
            })]
        }
    }

    private init(clock: any PipelineClock, control: RunControl, stopHandle: StopHandle, workers: [Worker],
                 pending: @escaping (BoundedQueue<Timed<Output>>) -> [Worker]) {
        self.clock = clock; self.control = control; self.stopHandle = stopHandle
        self.workers = workers; self.pending = pending
    }

    /// Appends `stage`, fed by a queue of `capacity` items with `policy`.
    public func then<S: Stage>(_ stage: sending S, name: String, capacity: Int = 2, policy: DropPolicy = .block) -> Pipeline<S.Output>
    where S.Input == Output, S.Output: Sendable, S: SendableMetatype {
        let input = BoundedQueue<Timed<Output>>(capacity: capacity, policy: policy)
        control.register(queue: input, feeding: name)
        let box = StageBox(stage)
        let clock = self.clock, control = self.control
        return Pipeline<S.Output>(clock: clock, control: control, stopHandle: stopHandle, workers: workers + pending(input)) { output in
            [(name, { @Sendable in
                defer { output.close() }
                while let item = input.pop() {
                    guard let result = Self.process(item, by: box, name: name, clock: clock, control: control),
                          output.push(result) else { return }
                }
            })]
        }
    }

    /// Appends `replicas.count` copies of one stage, each on its own thread, all fed by one
    /// queue of `capacity` items: frame parallelism. Items still leave in the order they
    /// entered, so what follows sees the same stream as after a single copy, only sooner when
    /// the stage is the slowest step. Each replica owns its state (an inference stage its own
    /// session and buffers), so they never share work on one item.
    public func then<S: Stage>(replicas: sending [S], name: String, capacity: Int = 2, policy: DropPolicy = .block) -> Pipeline<S.Output>
    where S.Input == Output, S.Output: Sendable, S: SendableMetatype {
        precondition(!replicas.isEmpty, "stage '\(name)' needs at least one replica")
        let input = BoundedQueue<Timed<Output>>(capacity: capacity, policy: policy)
        control.register(queue: input, feeding: name)
        let boxes = replicas.map { StageBox($0) }
        let clock = self.clock, control = self.control
        return Pipeline<S.Output>(clock: clock, control: control, stopHandle: stopHandle, workers: workers + pending(input)) { output in
            let gate = OrderGate(members: boxes.count)
            return boxes.map { box in
                (name, { @Sendable in
                    defer { if gate.memberExited() { output.close() } }
                    while let (item, ticket) = gate.take(from: input) {
                        guard let result = Self.process(item, by: box, name: name, clock: clock, control: control) else {
                            gate.abandon()
                            return
                        }
                        guard gate.leave(ticket: ticket, emit: { output.push(result) }) else { return }
                    }
                })
            }
        }
    }

    /// Runs `box`'s stage on `item` and appends the stage's span to its timing; nil, after
    /// failing the run with the error, when the stage throws.
    private static func process<S: Stage>(_ item: Timed<Output>, by box: StageBox<S>, name: String, clock: any PipelineClock,
                                          control: RunControl) -> Timed<S.Output>? where S.Input == Output {
        let start = clock.now()
        let result: S.Output
        do { result = try box.stage.process(item.value) } catch {
            control.fail(.stageFailed(stage: name, sequence: item.timing.sequence, underlying: error))
            return nil
        }
        var timing = item.timing
        timing.spans.append(StageSpan(stage: name, start: start, end: clock.now()))
        return Timed(value: result, timing: timing)
    }

    /// Runs every step on its own thread and feeds `sink` on the calling thread until the
    /// source ends (or `stopHandle` is used), then calls `sink.finish()`.
    /// - Throws: `PipelineError.stageFailed` with the first error any step threw.
    @discardableResult
    public func run<K: SinkStage>(into sink: inout K, name: String = "sink", capacity: Int = 2, policy: DropPolicy = .block) throws -> PipelineReport
    where K.Input == Output {
        precondition(control.markStarted(), "a Pipeline runs once; build a new one for another run")
        let input = BoundedQueue<Timed<Output>>(capacity: capacity, policy: policy)
        control.register(queue: input, feeding: name)
        let group = DispatchGroup()
        let begin = clock.now()
        for worker in workers + pending(input) {
            group.enter()
            let thread = Thread {
                worker.body()
                group.leave()
            }
            thread.name = "vigil.\(worker.name)"
            thread.start()
        }

        var latency = LatencyStats()
        var delivered = 0
        var last = begin
        while let item = input.pop() {
            var timing = item.timing
            timing.arrival = clock.now()
            do { try sink.consume(item.value, timing: timing) } catch {
                control.fail(.stageFailed(stage: name, sequence: timing.sequence, underlying: error))
                break
            }
            latency.record(timing)
            delivered += 1
            last = clock.now()
        }
        group.wait()
        if let error = control.firstError { throw error }
        do { try sink.finish() } catch { throw PipelineError.sinkFinishFailed(stage: name, underlying: error) }
        return PipelineReport(produced: control.produced, delivered: delivered, dropped: control.dropCounts(),
                              latency: latency, milliseconds: Double(last &- begin) / 1e6)
    }

    /// `run(into:)` for a sink the caller does not need back.
    @discardableResult
    public func run<K: SinkStage>(into sink: sending K, name: String = "sink", capacity: Int = 2, policy: DropPolicy = .block) throws -> PipelineReport
    where K.Input == Output {
        var sink = sink
        return try run(into: &sink, name: name, capacity: capacity, policy: policy)
    }
}

/// Keeps the items of a replicated stage in order: each item gets a ticket as it is taken
/// from the input queue, and leaves only after every lower ticket has left.
final class OrderGate: @unchecked Sendable {
    // @unchecked: `taking` serialises take (pop + ticket); the counters are guarded by `condition`.
    private let taking = NSLock()
    private let condition = NSCondition()
    private var nextTicket = 0
    private var nextToLeave = 0
    private var abandoned = false
    private var members: Int

    init(members: Int) { self.members = members }

    /// The next item and its ticket; nil when the queue is drained and closed (or cancelled).
    /// Popping and numbering happen under one lock, so tickets follow queue order.
    func take<T>(from queue: BoundedQueue<T>) -> (T, Int)? {
        taking.lock(); defer { taking.unlock() }
        guard let item = queue.pop() else { return nil }
        condition.lock(); defer { condition.unlock() }
        defer { nextTicket += 1 }
        return (item, nextTicket)
    }

    /// Waits for `ticket`'s turn, runs `emit` (a push that may block on backpressure; only
    /// the ticket's holder runs at a time), then lets the next ticket go.
    /// - Returns: false if the run is failing (the gate was abandoned, or `emit` failed).
    func leave(ticket: Int, emit: () -> Bool) -> Bool {
        condition.lock()
        while nextToLeave != ticket && !abandoned { condition.wait() }
        let go = !abandoned
        condition.unlock()
        guard go, emit() else { abandon(); return false }
        condition.lock()
        nextToLeave += 1
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// A member failed while holding a ticket: nobody after it may wait for its turn.
    func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }

    /// - Returns: true for the last member to exit (who then closes the output).
    func memberExited() -> Bool {
        condition.lock(); defer { condition.unlock() }
        members -= 1
        return members == 0
    }
}

/// Moves a non-Sendable stage into the one thread that runs it. @unchecked: after `init`
/// only that thread touches `stage`.
final class StageBox<S>: @unchecked Sendable {
    var stage: S
    init(_ stage: S) { self.stage = stage }
}

/// State shared by all threads of one run: the first error, cancellation, counters.
final class RunControl: @unchecked Sendable {
    // @unchecked: every stored property is guarded by `lock`.
    private let lock = NSLock()
    private var error: PipelineError?
    private var cancelled = false
    private var producedCount = 0
    private var started = false
    private var queues: [(name: String, cancel: @Sendable () -> Void, dropped: @Sendable () -> Int)] = []

    func register<T: Sendable>(queue: BoundedQueue<T>, feeding stage: String) {
        lock.lock(); defer { lock.unlock() }
        queues.append((stage, { queue.cancel() }, { queue.droppedCount }))
    }

    /// Keeps the first error and cancels every queue so all threads wake and exit.
    func fail(_ error: PipelineError) {
        lock.lock()
        if self.error == nil { self.error = error }
        cancelled = true
        let cancels = queues.map(\.cancel)
        lock.unlock()
        for cancel in cancels { cancel() }
    }

    var firstError: PipelineError? { lock.lock(); defer { lock.unlock() }; return error }
    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
    var produced: Int { lock.lock(); defer { lock.unlock() }; return producedCount }

    /// True the first time only.
    func markStarted() -> Bool {
        lock.lock(); defer { lock.unlock() }
        defer { started = true }
        return !started
    }

    func countProduced() {
        lock.lock(); producedCount += 1; lock.unlock()
    }

    func dropCounts() -> [String: Int] {
        lock.lock(); let all = queues; lock.unlock()
        var result: [String: Int] = [:]
        for queue in all { result[queue.name, default: 0] += queue.dropped() }
        return result
    }
}
