import ArgumentParser
import Foundation
import VigilMedia

/// `vigil decode INPUT`: decodes every frame and reports the rate; the media stage alone.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode every frame of a video (no inference) and print frames and frames per second.")

    @Argument(help: "Video file.")
    var input: String

    @Option(help: "Decoder threads (0 lets FFmpeg choose).")
    var threads: Int = 0

    @Option(help: "Decode the file this many times (for stable timings on short clips).")
    var passes: Int = 1

    @Flag(help: "Also convert each frame to RGB, as the pipeline's preprocessing does.")
    var rgb = false

    func validate() throws {
        if passes < 1 { throw ValidationError("--passes must be at least 1") }
        if threads < 0 { throw ValidationError("--threads must be 0 or more") }
    }

    func run() throws {
        var frames = 0
        let start = Date()
        for _ in 0..<passes {
            let source = try VideoFileSource(path: input, threads: threads)
            while let frame = try source.nextFrame() {
                if rgb { _ = try frame.rgb24() }
                frames += 1
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "frames %d  seconds %.4f  fps %.1f", frames, seconds, Double(frames) / max(seconds, 1e-9)))
    }
}
