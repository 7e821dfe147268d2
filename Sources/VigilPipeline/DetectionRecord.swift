import VigilVision

/// One output line: what was found in one frame and how long each stage took.
///
/// Serialised by `jsonLine()` with a fixed key order,
/// `{"frame":0,"pts":0.0,"detections":[{"label":"face","score":0.93,"box":[x1,y1,x2,y2]}],"latency_ms":{...}}`,
/// and rounded for reading: boxes to 0.1 px, scores to 4 digits, milliseconds to 3,
/// pts to microseconds. `"masks"` appears (before `"latency_ms"`) only for segmentation models.
/// Tracked output (`vigil track`) adds `"captured_s"` and `"emitted_s"` after `"pts"`, and
/// `"id"` (first) and `"velocity":[vx,vy]` (px/s, last) to each detection.
public struct DetectionRecord: Sendable, Equatable {
    /// Frame index in decode order.
    public var frame: Int
    /// Presentation time in seconds.
    public var pts: Double
    /// In source-frame pixels.
    public var detections: [Detection]
    /// Segmentation masks in source-frame pixels; nil for models without masks.
    public var masks: [RunLengthMask]?
    /// Milliseconds per stage in pipeline order, then `end_to_end`.
    public var latency: [(stage: String, milliseconds: Double)]
    /// Capture and emission times (seconds since the run's first capture), for tracked output.
    public var capturedAt: Double?
    public var emittedAt: Double?

    public init(frame: Int, pts: Double, detections: [Detection], masks: [RunLengthMask]? = nil,
                latency: [(stage: String, milliseconds: Double)] = [], capturedAt: Double? = nil, emittedAt: Double? = nil) {
        self.frame = frame; self.pts = pts; self.detections = detections; self.masks = masks; self.latency = latency
        self.capturedAt = capturedAt; self.emittedAt = emittedAt
    }

    /// The record for a result and its timeline: one latency entry per span, then end-to-end.
    public init(_ result: FrameResult, timing: FrameTiming) {
        var latency = timing.spans.map { (stage: $0.stage, milliseconds: $0.milliseconds) }
        if let endToEnd = timing.endToEnd { latency.append((StageName.endToEnd, endToEnd)) }
        self.init(frame: result.frameIndex, pts: result.pts, detections: result.detections, masks: result.masks, latency: latency,
                  capturedAt: result.capturedAt, emittedAt: result.emittedAt)
    }

    public static func == (a: DetectionRecord, b: DetectionRecord) -> Bool {
        a.frame == b.frame && a.pts == b.pts && a.detections == b.detections && a.masks == b.masks
            && a.capturedAt == b.capturedAt && a.emittedAt == b.emittedAt
            && a.latency.map(\.stage) == b.latency.map(\.stage) && a.latency.map(\.milliseconds) == b.latency.map(\.milliseconds)
    }

    /// The record as one line of JSON, without the newline.
    /// - Parameter keypoints: also write each detection's keypoints (`"keypoints":[[x,y],…]`).
    public func jsonLine(keypoints: Bool = false) -> String {
        var out = "{\"frame\":\(frame),\"pts\":\(JSONNumber.format(pts, decimals: 6))"
        if let capturedAt { out += ",\"captured_s\":" + JSONNumber.format(capturedAt, decimals: 6) }
        if let emittedAt { out += ",\"emitted_s\":" + JSONNumber.format(emittedAt, decimals: 6) }
        out += ",\"detections\":["
        for (i, d) in detections.enumerated() {
            if i > 0 { out += "," }
            out += "{"
            if let id = d.trackID { out += "\"id\":\(id)," }
            out += "\"label\":" + JSONNumber.quote(d.label) + ",\"score\":" + JSONNumber.format(Double(d.score), decimals: 4)
            out += ",\"box\":[" + [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map { JSONNumber.format(Double($0), decimals: 1) }.joined(separator: ",") + "]"
            if let v = d.velocity {
                out += ",\"velocity\":[" + JSONNumber.format(Double(v.x), decimals: 1) + "," + JSONNumber.format(Double(v.y), decimals: 1) + "]"
            }
            if keypoints && !d.keypoints.isEmpty {
                out += ",\"keypoints\":[" + d.keypoints.map {
                    "[" + JSONNumber.format(Double($0.x), decimals: 1) + "," + JSONNumber.format(Double($0.y), decimals: 1) + "]"
                }.joined(separator: ",") + "]"
            }
            out += "}"
        }
        out += "]"
        if let masks {
            out += ",\"masks\":[" + masks.map { m in
                "{\"label\":" + JSONNumber.quote(m.label) + ",\"size\":[\(m.height),\(m.width)],\"area\":\(m.area),\"counts\":["
                    + m.counts.map(String.init).joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]"
        }
        out += ",\"latency_ms\":{"
        out += latency.map { JSONNumber.quote($0.stage) + ":" + JSONNumber.format($0.milliseconds, decimals: 3) }.joined(separator: ",")
        out += "}}"
        return out
    }
}

/// Number and string formatting for hand-written JSON.
enum JSONNumber {
    /// `value` rounded to `decimals`, in its shortest form with at least one decimal
    /// (`0.93`, `176.0`); NaN and infinities, which JSON cannot hold, become `null`.
    static func format(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "null" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return "\(rounded == 0 ? 0 : rounded)"  // no "-0.0"
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
