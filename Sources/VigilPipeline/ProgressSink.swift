import Foundation

/// Wraps a sink and redraws a one-line progress report on stderr after each item, when
/// stderr is a terminal (never into redirected logs).
public struct ProgressSink<Inner: SinkStage>: SinkStage {
    public typealias Input = Inner.Input
    public var inner: Inner
    let total: Int?
    let enabled: Bool
    let started = Date()
    var count = 0

    /// - total: expected item count, when known, for a percentage.
    public init(_ inner: Inner, total: Int?, enabled: Bool = isatty(2) != 0) {
        self.inner = inner
        self.total = total
        self.enabled = enabled
    }

    public mutating func consume(_ input: Inner.Input, timing: FrameTiming) throws {
        try inner.consume(input, timing: timing)
        count += 1
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let fps = elapsed > 0 ? Double(count) / elapsed : 0
        var line = "\r\u{1B}[2Kframe \(count)"
        if let total, total > 0 {
            let fraction = min(1, Double(count) / Double(total))
            let filled = Int(fraction * 30)
            line += "/\(total) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "]"
                + String(format: " %3.0f%%", fraction * 100)
        }
        line += String(format: "  %.1f fps", fps)
        FileHandle.standardError.write(Data(line.utf8))
    }

    public mutating func finish() throws {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        try inner.finish()
    }
}
