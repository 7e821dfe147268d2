/// Everything that can stop a pipeline run. Each message names the stage and item at fault.
public enum PipelineError: Error, CustomStringConvertible, Sendable {
    /// A stage threw while working on item `sequence` (source order, from 0); the run was
    /// stopped and `underlying` is the stage's own error.
    case stageFailed(stage: String, sequence: Int, underlying: any Error)
    /// The sink's `finish()` threw after the last item.
    case sinkFinishFailed(stage: String, underlying: any Error)
    /// An output file could not be opened or written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .stageFailed(stage, sequence, underlying):
            return "stage '\(stage)' failed on item \(sequence): \(underlying)"
        case let .sinkFinishFailed(stage, underlying):
            return "stage '\(stage)' failed while finishing: \(underlying)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason) (check the directory exists and is writable)"
        }
    }

    /// The stage's own error, when a stage failed.
    public var underlying: (any Error)? {
        switch self {
        case let .stageFailed(_, _, underlying), let .sinkFinishFailed(_, underlying): return underlying
        case .cannotWrite: return nil
        }
    }
}
