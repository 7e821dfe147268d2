import Foundation

/// The sink that writes one `DetectionRecord` JSON object per line (JSON Lines), flushed
/// line by line so a reader can follow a live run.
public struct JSONLinesWriter: SinkStage {
    public typealias Input = FrameResult

    /// Also write keypoints for heads that predict them.
    public var includeKeypoints: Bool
    private let write: (String) throws -> Void
    private let close: () throws -> Void
    /// Lines written so far.
    public private(set) var lineCount = 0

    /// Writes each line (without its newline) through `write`; `close` runs in `finish()`.
    public init(includeKeypoints: Bool = false, write: @escaping (String) throws -> Void, close: @escaping () throws -> Void = {}) {
        self.includeKeypoints = includeKeypoints
        self.write = write
        self.close = close
    }

    /// Writes to a new (or truncated) file at `path`, in place (see `OutputFile.open`).
    /// - Throws: `PipelineError.cannotWrite` if the file cannot be opened.
    public init(path: String, includeKeypoints: Bool = false) throws {
        let handle = try OutputFile.open(path)
        self.init(includeKeypoints: includeKeypoints, write: { line in
            do { try handle.write(contentsOf: Data((line + "\n").utf8)) } catch {
                throw PipelineError.cannotWrite(path: path, reason: "\(error)")
            }
        }, close: { try handle.close() })
    }

    /// Writes to standard output.
    public static func standardOutput(includeKeypoints: Bool = false) -> JSONLinesWriter {
        JSONLinesWriter(includeKeypoints: includeKeypoints, write: { line in
            try FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
        })
    }

    public mutating func consume(_ input: FrameResult, timing: FrameTiming) throws {
        try write(DetectionRecord(input, timing: timing).jsonLine(keypoints: includeKeypoints))
        lineCount += 1
    }

    public mutating func finish() throws { try close() }
}
