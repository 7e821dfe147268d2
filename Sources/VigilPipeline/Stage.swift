/// A step of the frame pipeline: synchronous, knows nothing of threads; the Pipeline owns
/// one thread per stage.
public protocol Stage {
    associatedtype Input
    associatedtype Output
    mutating func process(_ input: Input) throws -> Output
}

/// The first step of a pipeline (the decoder): produces items until it returns nil.
public protocol SourceStage {
    associatedtype Output
    mutating func next() throws -> Output?
}

/// The last step of a pipeline (a writer): consumes items with their timings.
public protocol SinkStage {
    associatedtype Input
    /// Called once per item, in source order. `timing.endToEnd` is measured on arrival here.
    mutating func consume(_ input: Input, timing: FrameTiming) throws
    /// Called once after the last item when the run ended without error (flush, close).
    mutating func finish() throws
}

extension SinkStage {
    public mutating func finish() throws {}
}

/// A stage made from a closure, for tests and one-line adapters.
public struct ClosureStage<Input, Output>: Stage {
    private let body: (Input) throws -> Output

    public init(_ body: @escaping (Input) throws -> Output) {
        self.body = body
    }

    public func process(_ input: Input) throws -> Output { try body(input) }
}

/// A source made from a closure returning nil at the end.
public struct ClosureSource<Output>: SourceStage {
    private let body: () throws -> Output?

    public init(_ body: @escaping () throws -> Output?) {
        self.body = body
    }

    /// Yields the elements of `elements`, in order.
    public init<S: Sequence>(_ elements: S) where S.Element == Output {
        var iterator = elements.makeIterator()
        self.body = { iterator.next() }
    }

    public func next() throws -> Output? { try body() }
}

/// A sink that keeps every item and its timing, for tests and small runs.
public struct CollectingSink<Input>: SinkStage {
    public private(set) var items: [Input] = []
    public private(set) var timings: [FrameTiming] = []
    public private(set) var finished = false

    public init() {}

    public mutating func consume(_ input: Input, timing: FrameTiming) throws {
        items.append(input)
        timings.append(timing)
    }

    public mutating func finish() throws { finished = true }
}
