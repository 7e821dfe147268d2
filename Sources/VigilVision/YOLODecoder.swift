/// Decodes Ultralytics YOLO (v8/v11) detection exports: one output `[1, 4 + nc, N]` whose
/// first four rows are box centre and size in input pixels and whose other rows are class
/// probabilities (already sigmoided in the export). `[1, N, 4 + nc]` is accepted too.
public struct YOLODecoder: Sendable {
    /// Label per class index; its count is `nc`.
    public let labels: [String]
    /// A box is a candidate when its best class score exceeds this.
    public let scoreThreshold: Float
    public let nms: NMSOptions

    public init(labels: [String], scoreThreshold: Float = 0.25, nms: NMSOptions = NMSOptions(algorithm: .hard, iouThreshold: 0.7)) {
        self.labels = labels; self.scoreThreshold = scoreThreshold; self.nms = nms
    }

    /// Candidates above the threshold, best class each, boxes in input pixels, before NMS.
    ///
    /// - Parameters:
    ///   - output: the export's single output.
    ///   - shape: its shape, `[1, 4 + nc, N]` or `[1, N, 4 + nc]` (a leading 1 may be omitted).
    public func candidates(output: UnsafeBufferPointer<Float>, shape: [Int]) throws -> [Detection] {
        let dims = shape.first == 1 && shape.count == 3 ? Array(shape.dropFirst()) : shape
        let rows = 4 + labels.count
        guard dims.count == 2, dims[0] * dims[1] == output.count, dims[0] == rows || dims[1] == rows else {
            throw VisionError.outputShapeMismatch(head: "yolo", expected: "[1, \(rows), N] (4 box rows + \(labels.count) classes)", got: shape)
        }
        // Channel-first is what Ultralytics exports; with a square ambiguity prefer it.
        let channelFirst = dims[0] == rows
        let n = channelFirst ? dims[1] : dims[0]
        func value(_ row: Int, _ i: Int) -> Float { channelFirst ? output[row * n + i] : output[i * rows + row] }

        var result: [Detection] = []
        for i in 0..<n {
            var best = -Float.infinity, bestClass = -1
            for c in 0..<labels.count {
                let score = value(4 + c, i)
                if score > best { best = score; bestClass = c }
            }
            guard bestClass >= 0, best > scoreThreshold else { continue }
            let box = Box(centerX: value(0, i), centerY: value(1, i), width: value(2, i), height: value(3, i))
            guard box.isFinite else { continue }
            result.append(Detection(label: labels[bestClass], classIndex: bestClass, score: best, box: box))
        }
        return result
    }

    /// Candidates, suppressed per class (Ultralytics' default), mapped to source pixels and
    /// clipped to the frame, best first; boxes wholly in the letterbox padding are dropped.
    public func decode(output: UnsafeBufferPointer<Float>, shape: [Int], transform: InputTransform) throws -> [Detection] {
        NonMaxSuppression.apply(try candidates(output: output, shape: shape), options: nms)
            .map(transform.sourceDetection)
            .filter { $0.box.area > 0 }
    }

    /// `decode` on an array.
    public func decode(output: [Float], shape: [Int], transform: InputTransform) throws -> [Detection] {
        try output.withUnsafeBufferPointer { try decode(output: $0, shape: shape, transform: transform) }
    }
}
