import CFFmpeg

/// An exact fraction such as a time base (1/30000) or a frame rate (30000/1001).
///
/// Kept exact rather than as a `Double` because timestamps are integer ticks of the
/// time base, and NTSC rates are not representable in binary floating point.
public struct Rational: Hashable, Sendable, CustomStringConvertible {
    /// The numerator.
    public var numerator: Int
    /// The denominator; 0 means unknown.
    public var denominator: Int

    /// Creates `numerator / denominator`.
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    init(_ value: AVRational) {
        self.init(Int(value.num), Int(value.den))
    }

    /// The value as a `Double`, or 0 when the denominator is 0 (unknown).
    public var doubleValue: Double {
        denominator == 0 ? 0 : Double(numerator) / Double(denominator)
    }

    /// "30000/1001".
    public var description: String { "\(numerator)/\(denominator)" }
}
