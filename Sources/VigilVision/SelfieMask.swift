/// A binary mask stored as COCO-style uncompressed run lengths: pixels in column-major order
/// (down each column, then the next column), runs alternating background/foreground and
/// starting with background (so `counts[0]` may be 0). `{"size": [h, w], "counts": …}` is
/// what `pycocotools.mask.frPyObjects` reads.
public struct RunLengthMask: Sendable, Equatable {
    public var label: String
    public var width: Int
    public var height: Int
    public var counts: [Int]

    public init(label: String, width: Int, height: Int, counts: [Int]) {
        precondition(counts.reduce(0, +) == width * height, "runs cover \(counts.reduce(0, +)) pixels, the mask has \(width * height)")
        self.label = label; self.width = width; self.height = height; self.counts = counts
    }

    /// Encodes `pixels`, row-major `[height, width]`, true = foreground.
    public init(label: String, width: Int, height: Int, rowMajor pixels: [Bool]) {
        precondition(pixels.count == width * height, "expected \(width * height) pixels, got \(pixels.count)")
        var encoder = RunLengthEncoder()
        for x in 0..<width { for y in 0..<height { encoder.append(pixels[y * width + x]) } }
        self.init(label: label, width: width, height: height, counts: encoder.finish())
    }

    /// Foreground pixel count.
    public var area: Int { stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + counts[$1] } }

    /// The mask as row-major booleans.
    public func rowMajorPixels() -> [Bool] {
        var pixels = [Bool](repeating: false, count: width * height)
        var position = 0
        for (run, length) in counts.enumerated() {
            if run % 2 == 1 {
                for p in position..<(position + length) { pixels[(p % height) * width + p / height] = true }
            }
            position += length
        }
        return pixels
    }

    /// The tight box around the foreground in pixels (edges, not centres), nil when empty.
    public var boundingBox: Box? {
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        var position = 0
        for (run, length) in counts.enumerated() {
            if run % 2 == 1 && length > 0 {
                let first = position, last = position + length - 1
                minX = min(minX, first / height); maxX = max(maxX, last / height)
                // A run spanning a column break covers the column's full height.
                if first / height != last / height { minY = 0; maxY = height - 1 } else {
                    minY = min(minY, first % height); maxY = max(maxY, last % height)
                }
            }
            position += length
        }
        guard maxX >= 0 else { return nil }
        return Box(x1: Float(minX), y1: Float(minY), x2: Float(maxX + 1), y2: Float(maxY + 1))
    }
}

/// Builds run lengths one pixel at a time.
struct RunLengthEncoder {
    private var counts: [Int] = []
    private var current = false
    private var length = 0

    mutating func append(_ value: Bool) {
        if value != current {
            counts.append(length)
            current = value
            length = 0
        }
        length += 1
    }

    mutating func finish() -> [Int] {
        counts.append(length)
        return counts
    }
}

/// Decodes a single-channel segmentation probability map (MediaPipe selfie segmentation,
/// `[1, H, W, 1]`) into a binary mask at source-frame resolution.
public struct SelfieMask: Sendable {
    /// Foreground when the (bilinearly sampled) probability exceeds this.
    public var threshold: Float
    /// Network input size, which the map's pixels span.
    public var inputWidth: Int
    public var inputHeight: Int
    public var label: String

    public init(inputWidth: Int, inputHeight: Int, threshold: Float = 0.5, label: String = "person") {
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.threshold = threshold; self.label = label
    }

    /// The mask in source pixels: each source pixel centre is mapped into the map and sampled.
    ///
    /// - Parameters:
    ///   - probability: `[H, W]` row-major probabilities covering the whole network input.
    ///   - width: `W`, the map width (the input width or a fraction of it).
    ///   - height: `H`.
    public func decode(probability: UnsafeBufferPointer<Float>, width: Int, height: Int, transform: InputTransform) throws -> RunLengthMask {
        guard width > 0, height > 0, probability.count == width * height else {
            throw VisionError.outputShapeMismatch(head: "segmentation", expected: "[1, \(height), \(width), 1]", got: [probability.count])
        }
        let toMapX = Float(width) / Float(inputWidth), toMapY = Float(height) / Float(inputHeight)
        func sample(_ x: Float, _ y: Float) -> Float {
            // Bilinear on pixel centres with edge clamping; NaN compares false, so it reads as background.
            let fx = min(max(x - 0.5, 0), Float(width - 1)), fy = min(max(y - 0.5, 0), Float(height - 1))
            let x0 = Int(fx), y0 = Int(fy)
            let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
            let ax = fx - Float(x0), ay = fy - Float(y0)
            let top = probability[y0 * width + x0] * (1 - ax) + probability[y0 * width + x1] * ax
            let bottom = probability[y1 * width + x0] * (1 - ax) + probability[y1 * width + x1] * ax
            return top * (1 - ay) + bottom * ay
        }
        var encoder = RunLengthEncoder()
        for sx in 0..<transform.sourceWidth {
            for sy in 0..<transform.sourceHeight {
                let (ix, iy) = transform.inputPoint(x: Float(sx) + 0.5, y: Float(sy) + 0.5)
                encoder.append(sample(ix * toMapX, iy * toMapY) > threshold)
            }
        }
        return RunLengthMask(label: label, width: transform.sourceWidth, height: transform.sourceHeight, counts: encoder.finish())
    }

    /// `decode` on an array.
    public func decode(probability: [Float], width: Int, height: Int, transform: InputTransform) throws -> RunLengthMask {
        try probability.withUnsafeBufferPointer { try decode(probability: $0, width: width, height: height, transform: transform) }
    }
}
