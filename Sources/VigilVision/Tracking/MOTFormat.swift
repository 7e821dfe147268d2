import Foundation

/// The MOTChallenge text format: one comma-separated row per box,
/// `frame,id,x,y,w,h,score,class,visibility,…` with 1-based frames and (x, y) the top-left
/// corner in pixels. Detection files have id −1; the class column is optional.
public enum MOTFormat {
    /// One row.
    public struct Row: Sendable, Equatable {
        public var frame: Int
        public var id: Int
        public var box: Box
        public var score: Float
        /// Column 8 when present and ≥ 0, else 0.
        public var classIndex: Int

        public init(frame: Int, id: Int, box: Box, score: Float, classIndex: Int = 0) {
            self.frame = frame; self.id = id; self.box = box; self.score = score; self.classIndex = classIndex
        }
    }

    /// Parses MOTChallenge rows; blank lines and lines starting with `#` are skipped.
    /// - Throws: `VisionError.malformedMOTRow` naming the line, for a row with fewer than 7
    ///   columns, a non-numeric field, a frame below 1 or a negative width or height.
    public static func parse(_ text: String, path: String = "<text>") throws -> [Row] {
        var rows: [Row] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 7 else {
                throw VisionError.malformedMOTRow(path: path, line: lineNumber, reason: "\(fields.count) columns, need at least 7")
            }
            var numbers: [Double] = []
            for (i, field) in fields.prefix(8).enumerated() {
                guard let value = Double(field) else {
                    throw VisionError.malformedMOTRow(path: path, line: lineNumber, reason: "column \(i + 1) '\(field)' is not a number")
                }
                numbers.append(value)
            }
            guard numbers[0].isFinite, numbers[0] >= 1, numbers[0] == numbers[0].rounded(), numbers[0] < 1e9 else {
                throw VisionError.malformedMOTRow(path: path, line: lineNumber, reason: "frame '\(fields[0])' is not a whole number ≥ 1")
            }
            guard !(numbers[4] < 0), !(numbers[5] < 0) else {
                throw VisionError.malformedMOTRow(path: path, line: lineNumber, reason: "negative width or height")
            }
            let x = Float(numbers[2]), y = Float(numbers[3]), w = Float(numbers[4]), h = Float(numbers[5])
            let id = numbers[1].isFinite && abs(numbers[1]) < 1e9 ? Int(numbers[1]) : -1
            var classIndex = 0
            if numbers.count > 7, numbers[7].isFinite, numbers[7] >= 0, numbers[7] < 1e6 { classIndex = Int(numbers[7]) }
            rows.append(Row(frame: Int(numbers[0]), id: id, box: Box(x1: x, y1: y, x2: x + w, y2: y + h),
                            score: Float(numbers[6]), classIndex: classIndex))
        }
        return rows
    }

    /// Reads and parses a file.
    public static func read(path: String) throws -> [Row] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VisionError.malformedMOTRow(path: path, line: 0, reason: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Detections grouped by frame: element f − 1 holds frame f's, for every frame from 1 to
    /// the last one named (frames without rows are empty, but still frames).
    public static func detectionsByFrame(_ rows: [Row], label: (Int) -> String = { "class\($0)" }) -> [[Detection]] {
        let last = rows.map(\.frame).max() ?? 0
        var frames = [[Detection]](repeating: [], count: last)
        for row in rows {
            frames[row.frame - 1].append(Detection(label: label(row.classIndex), classIndex: row.classIndex, score: row.score, box: row.box))
        }
        return frames
    }

    /// One output row: `frame,id,x,y,w,h,score,-1,-1,-1`, coordinates to 0.01 px.
    public static func format(frame: Int, id: Int, box: Box, score: Float) -> String {
        String(format: "%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1", frame, id, box.x1, box.y1, box.width, box.height, score)
    }
}
