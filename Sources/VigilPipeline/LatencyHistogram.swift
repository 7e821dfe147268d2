/// A fixed-memory latency histogram with HdrHistogram's recording scheme and API
/// (`record`, `valueAtPercentile`, `min`, `max`, `mean`, `totalCount`, `reset`, `add`).
///
/// Seam: this is a small stand-in for `Histogram<UInt64>` from HdrHistogram/hdrhistogram-swift;
/// once that package is a dependency, `LatencyStats` can switch with a one-line change.
///
/// Values are integers (Vigil records microseconds). Buckets are log-linear: exact below
/// `2 × 10^digits`, then every power-of-two range is split into the same number of
/// sub-buckets, so relative error stays below 10^-digits over the whole range.
public struct LatencyHistogram: Sendable, Equatable {
    public let lowestDiscernibleValue: UInt64
    public let highestTrackableValue: UInt64
    public let numberOfSignificantValueDigits: Int
    /// log2 of the sub-bucket count (the exact range).
    private let subBucketBits: Int
    private var counts: [UInt64]
    public private(set) var totalCount: UInt64 = 0
    private var minimum = UInt64.max
    private var maximum: UInt64 = 0
    private var sum: Double = 0

    /// - Parameters:
    ///   - highestTrackableValue: larger values are not recorded (`record` returns false).
    ///   - numberOfSignificantValueDigits: 1...5; 3 means 0.1% resolution.
    public init(lowestDiscernibleValue: UInt64 = 1, highestTrackableValue: UInt64 = 3_600_000_000, numberOfSignificantValueDigits: Int = 3) {
        precondition((1...5).contains(numberOfSignificantValueDigits), "significant digits must be 1...5")
        precondition(highestTrackableValue >= 2, "highest trackable value must be at least 2")
        self.lowestDiscernibleValue = lowestDiscernibleValue
        self.highestTrackableValue = highestTrackableValue
        self.numberOfSignificantValueDigits = numberOfSignificantValueDigits
        var largestExact = 2
        for _ in 0..<numberOfSignificantValueDigits { largestExact *= 10 }
        subBucketBits = Int.bitWidth - (largestExact - 1).leadingZeroBitCount
        counts = []
        counts = Array(repeating: 0, count: index(for: highestTrackableValue) + 1)
    }

    /// Records one value. - Returns: false (and records nothing) above `highestTrackableValue`.
    @discardableResult
    public mutating func record(_ value: UInt64) -> Bool {
        record(value, count: 1)
    }

    /// Records `value` `count` times.
    @discardableResult
    public mutating func record(_ value: UInt64, count: UInt64) -> Bool {
        guard value <= highestTrackableValue else { return false }
        counts[index(for: value)] += count
        totalCount += count
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
        sum += Double(value) * Double(count)
        return true
    }

    /// The value at or below which `percentile`% of recorded values fall, to the histogram's
    /// resolution (the bucket's highest equivalent value, capped at the largest recorded).
    public func valueAtPercentile(_ percentile: Double) -> UInt64 {
        guard totalCount > 0 else { return 0 }
        let p = Swift.min(Swift.max(percentile, 0), 100)
        if p == 0 { return minimum }
        let wanted = Swift.max(1, UInt64((p / 100 * Double(totalCount)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= wanted { return Swift.min(highestEquivalentValue(index: i), maximum) }
        }
        return maximum
    }

    /// Smallest recorded value (0 when empty).
    public var min: UInt64 { totalCount > 0 ? minimum : 0 }
    /// Largest recorded value (0 when empty).
    public var max: UInt64 { maximum }
    public var mean: Double { totalCount > 0 ? sum / Double(totalCount) : 0 }

    public mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        totalCount = 0; minimum = .max; maximum = 0; sum = 0
    }

    /// Adds every value recorded in `other` (same configuration).
    public mutating func add(_ other: LatencyHistogram) {
        precondition(other.counts.count == counts.count && other.subBucketBits == subBucketBits, "histograms differ in configuration")
        for i in counts.indices { counts[i] += other.counts[i] }
        totalCount += other.totalCount
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sum += other.sum
    }

    /// Index of `value`: exact below the sub-bucket count, then `half` buckets per power of two.
    private func index(for value: UInt64) -> Int {
        let topBit = UInt64.bitWidth - 1 - Swift.max(value, 1).leadingZeroBitCount
        let shift = Swift.max(0, topBit - (subBucketBits - 1))
        return shift * (1 << (subBucketBits - 1)) + Int(value >> UInt64(shift))
    }

    private func highestEquivalentValue(index: Int) -> UInt64 {
        let half = 1 << (subBucketBits - 1), full = 1 << subBucketBits
        let shift = index < full ? 0 : (index - full) / half + 1
        let lowest = UInt64(index - shift * half) << UInt64(shift)
        return lowest + (UInt64(1) << UInt64(shift)) - 1
    }
}
