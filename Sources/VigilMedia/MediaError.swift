import CFFmpeg
import Foundation

/// Everything that can go wrong while opening, decoding or converting video.
///
/// Each message is one line: what went wrong, which file (or frame), and what to try.
public enum MediaError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The container could not be opened or probed (missing file, not a media file,
    /// an MP4 whose `moov` index was cut off, …). `reason` comes from `av_strerror`.
    case cannotOpen(path: String, reason: String)
    /// The file opened but holds no video stream (audio-only, subtitles, data).
    case noVideoStream(path: String)
    /// The video stream uses a codec this FFmpeg build cannot decode.
    case decoderUnavailable(codec: String, path: String)
    /// A decoder exists but refused to open with the stream's parameters.
    case cannotOpenDecoder(codec: String, path: String, reason: String)
    /// Decoding failed before the first frame (or the stream is unreadable from `frameIndex` on).
    case decodeFailed(path: String, frameIndex: Int, reason: String)
    /// libswscale cannot convert this frame (unsupported pixel format or size).
    case conversionFailed(frameIndex: Int, reason: String)
    /// An image (e.g. a JPEG snapshot) could not be written: bad dimensions or buffer, or the file cannot be created.
    case cannotWriteImage(path: String, reason: String)

    /// One line: what is wrong, with which file, and what to try.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open video file '\(path)': \(reason) (check the path exists and is a complete video file)"
        case let .noVideoStream(path):
            return "'\(path)' has no video stream (audio-only or data file?); pass a file with a video track"
        case let .decoderUnavailable(codec, path):
            return "no decoder for codec '\(codec)' used by '\(path)'; install an FFmpeg build with that decoder or transcode the file"
        case let .cannotOpenDecoder(codec, path, reason):
            return "cannot open the '\(codec)' decoder for '\(path)': \(reason)"
        case let .decodeFailed(path, frameIndex, reason):
            return "decoding '\(path)' failed at frame \(frameIndex): \(reason) (the file may be truncated or corrupt)"
        case let .conversionFailed(frameIndex, reason):
            return "cannot convert frame \(frameIndex) to RGB: \(reason)"
        case let .cannotWriteImage(path, reason):
            return "cannot write image '\(path)': \(reason) (check the directory exists and is writable)"
        }
    }
}

/// The text FFmpeg gives for an `AVERROR` code, e.g. "Invalid data found when processing input".
func ffmpegErrorString(_ code: Int32) -> String {
    // AV_ERROR_MAX_STRING_SIZE (64) is enough for every built-in message.
    var buffer = [CChar](repeating: 0, count: Int(AV_ERROR_MAX_STRING_SIZE))
    if av_strerror(code, &buffer, buffer.count) < 0 {
        return "FFmpeg error \(code)"
    }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// FFmpeg's log level is process-wide; a library must not spam stderr, so it is set
/// once, on first use. `VIGIL_DEBUG=1` shows FFmpeg errors, `VIGIL_DEBUG>=2` warnings too.
let ffmpegLogLevelConfigured: Void = {
    let debug = Int(ProcessInfo.processInfo.environment["VIGIL_DEBUG"] ?? "") ?? 0
    av_log_set_level(debug >= 2 ? AV_LOG_WARNING : debug == 1 ? AV_LOG_ERROR : AV_LOG_QUIET)
}()
