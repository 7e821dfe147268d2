import Histogram

/// Percentiles of one stage's latency, in milliseconds.
public struct LatencySummary: Sendable, Equatable {
    public var stage: String
    public var count: Int
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double
    public var mean: Double
}

/// Per-stage latency distributions of a run: one HdrHistogram per stage name (microsecond
/// resolution, three significant digits, up to an hour), plus end-to-end.
public struct LatencyStats: Sendable {
    /// Stage names in first-seen order; `end_to_end` comes last when present.
    public private(set) var stages: [String] = []
    private var histograms: [String: Histogram<UInt64>] = [:]
    /// Exact sums of the recorded microseconds, for the mean (HdrHistogram's mean is of bucket midpoints).
    private var sums: [String: Double] = [:]
    /// Microseconds; longer values are counted at this value rather than dropped.
    static let highestTrackableMicroseconds: UInt64 = 3_600_000_000

    public init() {}

    /// Records every span of `timing` and its end-to-end latency.
    public mutating func record(_ timing: FrameTiming) {
        for span in timing.spans { record(stage: span.stage, milliseconds: span.milliseconds) }
        if let endToEnd = timing.endToEnd { record(stage: StageName.endToEnd, milliseconds: endToEnd) }
    }

    public mutating func record(stage: String, milliseconds: Double) {
        if histograms[stage] == nil {
            histograms[stage] = Histogram(highestTrackableValue: Self.highestTrackableMicroseconds, numberOfSignificantValueDigits: .three)
            stages.append(stage)
            // Keep end-to-end last, after stages that first appear later.
            if let i = stages.firstIndex(of: StageName.endToEnd), i != stages.count - 1 {
                stages.append(stages.remove(at: i))
            }
        }
        let microseconds = milliseconds.isFinite ? (milliseconds * 1000).rounded() : .infinity
        let value = UInt64(Swift.min(Swift.max(0, microseconds), Double(Self.highestTrackableMicroseconds)))
        histograms[stage]!.record(value)
        sums[stage, default: 0] += Double(value)
    }

    /// The distribution of `stage`, nil if nothing was recorded for it.
    public func summary(_ stage: String) -> LatencySummary? {
        guard let h = histograms[stage], h.totalCount > 0 else { return nil }
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        return LatencySummary(stage: stage, count: Int(h.totalCount), min: ms(h.min), p50: ms(h.valueAtPercentile(50)),
                              p90: ms(h.valueAtPercentile(90)), p99: ms(h.valueAtPercentile(99)), max: ms(h.maxRecorded),
                              mean: (sums[stage] ?? 0) / Double(h.totalCount) / 1000)
    }

    /// Every stage's summary, in `stages` order.
    public var summaries: [LatencySummary] { stages.compactMap(summary) }

    /// A Markdown table of the summaries, for reports and benchmarks.
    public var markdownTable: String {
        var lines = ["| stage | n | min | p50 | p90 | p99 | max | mean |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in summaries {
            let values = [s.min, s.p50, s.p90, s.p99, s.max, s.mean].map { JSONNumber.format($0, decimals: 3) }
            lines.append("| \(s.stage) | \(s.count) | " + values.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
