import ArgumentParser

/// The `vigil` command: one root, one file per subcommand.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Real-time video perception: detection, segmentation and tracking on video files and live streams.",
        subcommands: [Detect.self, Segment.self, Track.self, ModelList.self, Infer.self, Bench.self, BenchTracker.self, Decode.self])
}
