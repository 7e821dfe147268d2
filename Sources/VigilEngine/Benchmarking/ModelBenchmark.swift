import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Latency of repeated runs of one planned model: warm-up, then timed runs of `run()` on a
/// fixed random input, with the statistics every published figure needs.
public struct ModelBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var model: String
        public var inputShapes: [[Int]]
        public var threads: Int
        public var runs: Int
        public var medianMs: Double
        public var minMs: Double
        public var maxMs: Double
        public var gflopsPerSecond: Double
        public var flops: Int
        public var planMs: Double
        public var arenaBytes: Int
        public var maxRSSBytes: Int
        public var referenceSteps: Int
        public var cpu: String
        /// Per step, with `vigil bench --steps`.
        public var steps: [StepTiming]?
    }

    public var warmupRuns = 3
    public var runs = 20

    public init(warmupRuns: Int = 3, runs: Int = 20) {
        self.warmupRuns = max(0, warmupRuns)
        self.runs = max(1, runs)
    }

    /// One planned step's time: median over the runs, in plan order.
    public struct StepTiming: Sendable, Codable {
        public var name: String
        public var kind: String
        public var ms: Double
        public var flops: Int
        public var conv: ConvolutionShape?
    }

    /// Every step's median time over `runs` profiled runs after warm-up (each step timed alone,
    /// so the sum is a little above a plain run's latency).
    public func stepTimings(graph: Graph, inputShapes: [String: [Int]], threads: Int) throws -> [StepTiming] {
        let session = try InferenceSession(graph: graph, inputShapes: inputShapes, threads: threads)
        for _ in 0..<max(1, warmupRuns) { try session.run() }
        var samples: [[Double]] = []
        var first: [(name: String, kind: String, seconds: Double, flops: Int)] = []
        for run in 0..<runs {
            let profile = try session.runProfiled()
            if run == 0 { first = profile; samples = Array(repeating: [], count: profile.count) }
            for (i, step) in profile.enumerated() { samples[i].append(step.seconds * 1000) }
        }
        let convolutions = session.stepConvolutions
        return first.indices.map { i in
            StepTiming(name: first[i].name, kind: first[i].kind, ms: Self.median(ofSorted: samples[i].sorted()), flops: first[i].flops,
                       conv: convolutions[i])
        }
    }

    /// The middle value of sorted, non-empty `values` (the mean of the two middle ones for an even count).
    static func median(ofSorted values: [Double]) -> Double {
        values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
    }

    /// Per-kernel-kind time of one profiled run after warm-up, largest first: (kind, ms, steps).
    public func profile(graph: Graph, inputShapes: [String: [Int]], threads: Int) throws -> [(kind: String, milliseconds: Double, steps: Int)] {
        let session = try InferenceSession(graph: graph, inputShapes: inputShapes, threads: threads)
        for _ in 0..<max(1, warmupRuns) { try session.run() }
        var totals: [String: (Double, Int)] = [:]
        for _ in 0..<runs {
            for step in try session.runProfiled() {
                let entry = totals[step.kind] ?? (0, 0)
                totals[step.kind] = (entry.0 + step.seconds * 1000 / Double(runs), entry.1 + 1)
            }
        }
        return totals.map { ($0.key, $0.value.0, $0.value.1 / runs) }.sorted { $0.1 > $1.1 }
    }

    /// Plans `graph` for `inputShapes` and times `runs` runs after `warmupRuns`.
    public func measure(graph: Graph, modelName: String, inputShapes: [String: [Int]], threads: Int) throws -> Result {
        let planStart = DispatchTime.now().uptimeNanoseconds
        let session = try InferenceSession(graph: graph, inputShapes: inputShapes, threads: threads)
        let planMs = Double(DispatchTime.now().uptimeNanoseconds - planStart) / 1e6
        var generator = SeededGenerator(seed: 42)
        for i in 0..<session.inputs.count {
            let buffer = session.inputBuffer(i)
            for j in 0..<buffer.count { buffer[j] = Float.random(in: -1..<1, using: &generator) }
        }
        for _ in 0..<warmupRuns { try session.run() }
        var times: [Double] = []
        times.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try session.run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        let median = Self.median(ofSorted: times)
        return Result(model: modelName, inputShapes: session.inputs.map(\.shape), threads: session.threads, runs: runs,
                      medianMs: median, minMs: times.first!, maxMs: times.last!,
                      gflopsPerSecond: Double(session.flopsPerRun) / (median * 1e6), flops: session.flopsPerRun,
                      planMs: planMs, arenaBytes: session.arenaBytes, maxRSSBytes: MachineInfo.maxResidentBytes(),
                      referenceSteps: session.referenceStepNames.count, cpu: MachineInfo.cpuDescription(), steps: nil)
    }
}

/// Facts about this machine printed beside every figure.
public enum MachineInfo {
    /// CPU model name, family/model and the vector extensions that matter for kernels.
    public static func cpuDescription() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        func field(_ key: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(key) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let isa = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2" : "SSE"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return "\(field("model name") ?? "unknown") (family \(field("cpu family") ?? "?") model \(field("model") ?? "?"), \(isa)\(flags.contains("fma") ? "+FMA" : ""), \(cores) vCPU)"
    }

    /// Peak resident set size of this process so far: `VmHWM` from /proc/self/status, which
    /// starts afresh at exec (getrusage's ru_maxrss does not: a child started by a large parent
    /// inherits the parent's peak).
    public static func maxResidentBytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}

/// SplitMix64: a small deterministic generator, so benchmark inputs and test tensors repeat
/// exactly from run to run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
