import Foundation
import VigilMedia

/// Wraps a sink and, for each result that carries its decoded frame (see
/// `PerceptionPipeline.make(keepFrames:)`), writes `directory/frame_000000.jpg` with the
/// detection boxes drawn, then forwards the result to the inner sink.
public struct SnapshotSink<Inner: SinkStage>: SinkStage where Inner.Input == FrameResult {
    public typealias Input = FrameResult
    public var inner: Inner
    public let directory: String
    public var quality: Int
    public var color: (r: UInt8, g: UInt8, b: UInt8)

    /// - directory: must exist (the CLI creates it).
    public init(_ inner: Inner, directory: String, quality: Int = 90, color: (r: UInt8, g: UInt8, b: UInt8) = (255, 0, 255)) {
        self.inner = inner
        self.directory = directory
        self.quality = quality
        self.color = color
    }

    /// The snapshot file for frame `index`.
    public func path(forFrame index: Int) -> String {
        (directory as NSString).appendingPathComponent(String(format: "frame_%06d.jpg", index))
    }

    public mutating func consume(_ input: FrameResult, timing: FrameTiming) throws {
        if let frame = input.frame {
            var pixels = try frame.rgb24()
            for d in input.detections where d.box.isFinite {
                let b = d.box.clamped(width: Float(frame.width), height: Float(frame.height))
                JPEGWriter.drawBox(on: &pixels, width: frame.width, height: frame.height,
                                   x1: Int(b.x1.rounded(.down)), y1: Int(b.y1.rounded(.down)),
                                   x2: Int(b.x2.rounded(.up)) - 1, y2: Int(b.y2.rounded(.up)) - 1,
                                   color: color, thickness: 2)
            }
            try JPEGWriter.write(rgb24: pixels, width: frame.width, height: frame.height, quality: quality,
                                 to: path(forFrame: input.frameIndex))
        }
        var forwarded = input
        forwarded.frame = nil  // release the decoded picture before the inner sink keeps the result
        try inner.consume(forwarded, timing: timing)
    }

    public mutating func finish() throws {
        try inner.finish()
    }
}
