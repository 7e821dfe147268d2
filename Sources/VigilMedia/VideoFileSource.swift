import CFFmpeg
import Foundation

/// Decodes the best video stream of a local file, one frame per `nextFrame()` call.
///
/// Damage is handled the way players do: corrupt packets are skipped, and a file cut
/// short yields every frame decoded before the cut and then ends. Only a file from
/// which not a single frame can be decoded throws `MediaError.decodeFailed`.
///
/// Not thread-safe (the decoder is a state machine); use it from one stage.
public final class VideoFileSource {
    /// The path as given.
    public let path: String
    /// Coded picture width in pixels.
    public let width: Int
    /// Coded picture height in pixels.
    public let height: Int
    /// Nominal frame rate (FFmpeg's `av_guess_frame_rate`); `0/1` when unknown.
    public let frameRate: Rational
    /// The stream's time base: a pts of `n` ticks is `n × timeBase` seconds.
    public let timeBase: Rational
    /// Duration in seconds, from the stream or else the container; nil when unknown.
    public let duration: Double?
    /// Short codec name, e.g. "h264".
    public let codecName: String
    /// The frame count the container declares (MP4 sample tables do; raw streams do not).
    /// A hint only: a damaged file decodes fewer.
    public let declaredFrameCount: Int?
    /// Packets or frames the decoder rejected and skipped so far.
    public private(set) var recoveredErrorCount = 0
    /// The last skipped error, or why the stream ended before the container's end.
    public private(set) var lastRecoveredError: MediaError?

    private enum State { case reading, draining, finished }

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    /// Receives the next decoded frame; handed to a `VideoFrame` on success, so a
    /// fresh one is allocated only after a frame leaves.
    private var spareFrame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    private let timeBaseSeconds: Double
    private var state = State.reading
    private var nextIndex = 0
    private var consecutiveErrors = 0
    private var consecutiveReadErrors = 0

    /// After this many errors in a row without a frame the stream is treated as ended;
    /// this bounds the work on garbage input instead of reading it to the last byte.
    private static let maxConsecutiveErrors = 64

    /// Opens `url` (a file URL) for decoding; see `init(path:threads:)`.
    public convenience init(url: URL, threads: Int = 0) throws {
        try self.init(path: url.path, threads: threads)
    }

    /// Opens the file at `path` and its best video stream's decoder.
    ///
    /// - Parameter threads: decoder threads; 0 lets FFmpeg choose one per core. Frame
    ///   threading delays output by about one frame per thread, so live sources that care
    ///   about latency may want 1.
    /// - Throws: `MediaError.cannotOpen`, `.noVideoStream`, `.decoderUnavailable`, `.cannotOpenDecoder`.
    public init(path: String, threads: Int = 0) throws {
        precondition(threads >= 0, "threads must be >= 0, got \(threads)")
        _ = ffmpegLogLevelConfigured
        self.path = path

        var format: UnsafeMutablePointer<AVFormatContext>?
        var status = avformat_open_input(&format, path, nil, nil)
        guard status >= 0, let format else {
            throw MediaError.cannotOpen(path: path, reason: ffmpegErrorString(status))
        }
        var opened = false
        var codec: UnsafeMutablePointer<AVCodecContext>?
        defer {
            // On any throw below, release what was opened so far.
            if !opened {
                avcodec_free_context(&codec)
                var owned: UnsafeMutablePointer<AVFormatContext>? = format
                avformat_close_input(&owned)
            }
        }

        status = avformat_find_stream_info(format, nil)
        guard status >= 0 else { throw MediaError.cannotOpen(path: path, reason: ffmpegErrorString(status)) }

        // Choose the stream without requiring a decoder, so "no decoder" is reported
        // as such instead of as "no video stream".
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = format.pointee.streams[Int(index)] else {
            throw MediaError.noVideoStream(path: path)
        }
        let parameters = stream.pointee.codecpar!
        let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw MediaError.decoderUnavailable(codec: name, path: path)
        }
        codec = avcodec_alloc_context3(decoder)
        guard let codec else { throw MediaError.cannotOpenDecoder(codec: name, path: path, reason: "out of memory") }
        status = avcodec_parameters_to_context(codec, parameters)
        guard status >= 0 else {
            throw MediaError.cannotOpenDecoder(codec: name, path: path, reason: ffmpegErrorString(status))
        }
        codec.pointee.thread_count = Int32(threads)
        codec.pointee.pkt_timebase = stream.pointee.time_base
        status = avcodec_open2(codec, decoder, nil)
        guard status >= 0 else {
            throw MediaError.cannotOpenDecoder(codec: name, path: path, reason: ffmpegErrorString(status))
        }
        // The decoder may refine the container's size (cropping); trust it when set.
        let pictureWidth = codec.pointee.width > 0 ? codec.pointee.width : parameters.pointee.width
        let pictureHeight = codec.pointee.height > 0 ? codec.pointee.height : parameters.pointee.height
        guard pictureWidth > 0, pictureHeight > 0 else {
            throw MediaError.cannotOpen(path: path, reason: "the video stream declares no picture size")
        }
        // Skip demuxing work for every other stream (audio, subtitles).
        for other in 0..<Int(format.pointee.nb_streams) where other != Int(index) {
            format.pointee.streams[other]?.pointee.discard = AVDISCARD_ALL
        }

        streamIndex = index
        width = Int(pictureWidth)
        height = Int(pictureHeight)
        timeBase = Rational(stream.pointee.time_base)
        timeBaseSeconds = timeBase.doubleValue
        frameRate = Rational(av_guess_frame_rate(format, stream, nil))
        codecName = name
        // AV_NOPTS_VALUE (INT64_MIN) is a macro Swift cannot import.
        if stream.pointee.duration != Int64.min, stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBaseSeconds
        } else if format.pointee.duration != Int64.min, format.pointee.duration > 0 {
            duration = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            duration = nil
        }
        declaredFrameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil

        guard let packet = av_packet_alloc() else {
            throw MediaError.cannotOpenDecoder(codec: name, path: path, reason: "out of memory")
        }
        self.packet = packet
        formatContext = format
        codecContext = codec
        opened = true
    }

    deinit {
        av_frame_free(&spareFrame)
        av_packet_free(&packet)
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
    }

    /// Decodes and returns the next frame in presentation order, or nil at the end.
    ///
    /// - Throws: `MediaError.decodeFailed` only if the stream ends or breaks before a
    ///   single frame could be decoded; later damage ends the stream quietly and is
    ///   recorded in `lastRecoveredError`.
    public func nextFrame() throws -> VideoFrame? {
        guard let codec = codecContext, let format = formatContext, let packet else { return nil }
        while state != .finished {
            if spareFrame == nil { spareFrame = av_frame_alloc() }
            guard let frame = spareFrame else { fatalError("av_frame_alloc: out of memory") }

            let received = avcodec_receive_frame(codec, frame)
            if received >= 0 {
                spareFrame = nil
                consecutiveErrors = 0
                return makeFrame(taking: frame)
            }
            if received == vigil_averror_eof() {
                return try finish()
            }
            if received != vigil_averror_eagain() {
                // A broken picture: the decoder has already moved past it.
                try recordError(received)
                continue
            }

            // The decoder wants input.
            if state == .draining {
                // EAGAIN after a flush should not happen; end rather than spin.
                return try finish()
            }
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != vigil_averror_eof() {
                    // A damaged or cut-off packet. Demuxers move past it, so keep reading
                    // (damage mid-file costs a few frames, not the rest of the video) until
                    // errors persist, which means the file really ends here.
                    lastRecoveredError = decodeError(read)
                    recoveredErrorCount += 1
                    consecutiveReadErrors += 1
                    if consecutiveReadErrors < Self.maxConsecutiveErrors { continue }
                }
                // Flush the decoder so the frames it still holds come out.
                _ = avcodec_send_packet(codec, nil)
                state = .draining
                continue
            }
            consecutiveReadErrors = 0
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, packet)
            // EAGAIN cannot happen here (the decoder just asked for input); any other
            // failure is a corrupt packet: skip it, the next keyframe resynchronises.
            if sent < 0, sent != vigil_averror_eagain() {
                try recordError(sent)
            }
        }
        return nil
    }

    /// Wraps a decoded `AVFrame`, stamping its index and pts in seconds.
    private func makeFrame(taking frame: UnsafeMutablePointer<AVFrame>) -> VideoFrame {
        let index = nextIndex
        nextIndex += 1
        let ticks = frame.pointee.best_effort_timestamp != Int64.min ? frame.pointee.best_effort_timestamp : frame.pointee.pts
        let pts: Double
        if ticks != Int64.min {
            pts = Double(ticks) * timeBaseSeconds
        } else {
            // No timestamp at all (some raw streams): assume a constant rate.
            let rate = frameRate.doubleValue
            pts = rate > 0 ? Double(index) / rate : Double(index)
        }
        return VideoFrame(taking: frame, index: index, pts: pts)
    }

    /// Ends the stream; a stream that ends without a single frame is an error.
    private func finish() throws -> VideoFrame? {
        state = .finished
        if nextIndex == 0 {
            throw lastRecoveredError ?? .decodeFailed(path: path, frameIndex: 0, reason: "the video stream holds no decodable frame")
        }
        return nil
    }

    /// Counts a skipped error; too many in a row end the stream.
    private func recordError(_ code: Int32) throws {
        recoveredErrorCount += 1
        consecutiveErrors += 1
        lastRecoveredError = decodeError(code)
        if consecutiveErrors >= Self.maxConsecutiveErrors {
            _ = try finish()
        }
    }

    private func decodeError(_ code: Int32) -> MediaError {
        .decodeFailed(path: path, frameIndex: nextIndex, reason: ffmpegErrorString(code))
    }
}
