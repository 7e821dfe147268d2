import ArgumentParser
import Foundation
import VigilEngine
import VigilPipeline
import VigilVision

/// `vigil track`: detection plus stable identities, on a video or on MOTChallenge detections.
struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track objects through a video: detections with stable ids, velocities, capture and emission times.",
        discussion: """
        On a video, the output is `vigil detect`'s JSON Lines where each detection is a confirmed track matched in \
        that frame, with "id" and "velocity" ([vx, vy] px/s), and each line has "captured_s" and "emitted_s". \
        With --mot-detections FILE the detector is skipped: MOTChallenge detection rows (frame,id,x,y,w,h,score[,class]) \
        go through the tracker and MOTChallenge rows (frame,id,x,y,w,h,score,-1,-1,-1) come out.
        """)

    @Argument(help: "Video file (omit with --mot-detections).")
    var input: String?

    @OptionGroup var options: PerceptionOptions

    @Option(help: "Track MOTChallenge detection rows from this file instead of running a detector on a video.")
    var motDetections: String?

    @Option(help: "With --mot-detections: write MOTChallenge rows here (default: standard output).")
    var motOutput: String?

    @Option(help: "With --mot-detections: frame rate that gives frame f the time (f - 1) / fps.")
    var fps: Double = 30

    @Option(help: "With --mot-detections: simulated processing delay; frame f's result is emitted at its time + this.")
    var delayMs: Double = 0

    @Flag(inversion: .prefixedNo,
          help: "Move each box forward along its track's velocity to the emission time (or --horizon-ms). Default: on for live stream URLs (rtsp://, rtmp://, srt://, udp://, ...), off for files.")
    var forecast: Bool?

    @Option(help: "Forecast this far past the frame's time instead of to the emission time.")
    var horizonMs: Double?

    @Option(help: "Detections at or above this score open the first association (ByteTrack's high threshold).")
    var highScore: Float = TrackerConfiguration().highScoreThreshold

    @Option(help: "Detections below this score are ignored.")
    var lowScore: Float = TrackerConfiguration().lowScoreThreshold

    @Option(help: "Unmatched detections at or above this score start new tracks.")
    var newTrackScore: Float = TrackerConfiguration().newTrackThreshold

    @Option(help: "Seconds a lost track is kept for re-identification.")
    var maxLostSeconds: Double = TrackerConfiguration().maxLostDuration

    func validate() throws {
        if input == nil && motDetections == nil { throw ValidationError("give a video file, or --mot-detections FILE") }
        if input != nil && motDetections != nil { throw ValidationError("give a video file or --mot-detections, not both") }
        if !(fps > 0) || !fps.isFinite { throw ValidationError("--fps must be a positive number") }
        if !(delayMs >= 0) || !delayMs.isFinite { throw ValidationError("--delay-ms must be zero or more") }
        if let horizonMs, !(horizonMs >= 0) || !horizonMs.isFinite { throw ValidationError("--horizon-ms must be zero or more") }
        for (name, value) in [("--high-score", highScore), ("--low-score", lowScore), ("--new-track-score", newTrackScore)]
        where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if !(maxLostSeconds >= 0) || !maxLostSeconds.isFinite { throw ValidationError("--max-lost-seconds must be zero or more") }
    }

    var trackerConfiguration: TrackerConfiguration {
        var c = TrackerConfiguration()
        c.highScoreThreshold = highScore
        c.lowScoreThreshold = lowScore
        c.newTrackThreshold = newTrackScore
        c.maxLostDuration = maxLostSeconds
        return c
    }

    func run() throws {
        if let motDetections { return try runMOT(path: motDetections) }
        let tracking = TrackingSettings(configuration: trackerConfiguration, forecast: forecast ?? isLiveStream(input!),
                                        horizon: horizonMs.map { $0 / 1000 })
        try runPerception(options, input: input!, defaultModel: "face", tasks: ["detection", "text"], tracking: tracking)
    }

    private func runMOT(path: String) throws {
        let frames = MOTFormat.detectionsByFrame(try MOTFormat.read(path: path))
        var tracker = MultiObjectTracker(configuration: trackerConfiguration)
        let horizon = (horizonMs ?? delayMs) / 1000
        var text = ""
        for (index, detections) in frames.enumerated() {
            let time = Double(index) / fps
            for object in tracker.update(detections: detections, at: time) {
                let box = forecast == true ? object.box(at: time + horizon) : object.box
                text += MOTFormat.format(frame: index + 1, id: object.id, box: box, score: object.score) + "\n"
            }
        }
        if let motOutput {
            let handle = try OutputFile.open(motOutput)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        FileHandle.standardError.write(Data("vigil: \(frames.count) frames, \(tracker.identitiesIssued) track ids\n".utf8))
    }
}

/// `vigil bench-tracker`: cost of one tracker update.
struct BenchTracker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tracker",
        abstract: "Measure the tracker's update time on a synthetic scene: median, min and max over runs.")

    @Option(help: "Objects in the scene.")
    var objects: Int = 50

    @Option(help: "Frames per run.")
    var frames: Int = 1000

    @Option(help: "Timed runs.")
    var runs: Int = 7

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if objects < 1 || frames < 1 || runs < 1 { throw ValidationError("--objects, --frames and --runs must be at least 1") }
    }

    func run() throws {
        let result = TrackerBenchmark(objects: objects, frames: frames, runs: runs).measure { DispatchTime.now().uptimeNanoseconds }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("cpu          \(result.cpu)")
        print("scene        \(result.objects) objects, \(result.frames) frames per run, \(result.runs) runs")
        print(String(format: "update       median %.1f µs  (min %.1f, max %.1f; mean per frame of each run), worst single %.1f µs",
                     result.medianMicroseconds, result.minMicroseconds, result.maxMicroseconds, result.worstUpdateMicroseconds))
        print("identities   \(result.identities) issued in the last run for \(result.objects) objects")
        #if DEBUG
        print("warning      debug build: run `swift run -c release vigil bench-tracker` for real figures")
        #endif
    }
}
