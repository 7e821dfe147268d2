/// Decodes a DB-style text probability map (PP-OCR det): threshold the map, take connected
/// regions, score each by its mean probability, and grow ("unclip") each box, because the
/// network is trained to predict a shrunken text kernel.
///
/// Boxes are axis-aligned; rotated text gets the box around its region.
public struct TextRegionDecoder: Sendable {
    /// A pixel is text when its probability exceeds this (PaddleOCR `thresh`).
    public var binaryThreshold: Float
    /// A region is kept when its mean probability reaches this (PaddleOCR `box_thresh`).
    public var boxThreshold: Float
    /// Each side grows by `area × unclipRatio / perimeter` (PaddleOCR `unclip_ratio`).
    public var unclipRatio: Float
    /// Regions narrower than this, in map pixels, are noise.
    public var minSize: Float
    /// At most this many regions are scored, in raster order of their first pixel.
    public var maxCandidates: Int
    /// Label of every detection.
    public var label: String

    public init(binaryThreshold: Float = 0.3, boxThreshold: Float = 0.5, unclipRatio: Float = 1.6,
                minSize: Float = 3, maxCandidates: Int = 1000, label: String = "text") {
        self.binaryThreshold = binaryThreshold; self.boxThreshold = boxThreshold
        self.unclipRatio = unclipRatio; self.minSize = minSize
        self.maxCandidates = maxCandidates; self.label = label
    }

    /// Text boxes in map pixels (the map has the input's size), best first.
    ///
    /// - Parameter probability: `[H, W]` probabilities, row-major (the `[1, 1, H, W]` output).
    public func regions(probability: UnsafeBufferPointer<Float>, width: Int, height: Int) throws -> [Detection] {
        guard width > 0, height > 0, probability.count == width * height else {
            throw VisionError.outputShapeMismatch(head: "text_regions", expected: "[1, 1, \(height), \(width)]", got: [probability.count])
        }
        // 0 = background or not yet visited, -1 = text waiting for a region, >0 = region id.
        var marks = [Int32](repeating: 0, count: width * height)
        for i in 0..<marks.count where probability[i] > binaryThreshold { marks[i] = -1 }

        var result: [Detection] = []
        var stack: [Int] = []
        var regionCount: Int32 = 0
        for start in 0..<marks.count where marks[start] == -1 {
            guard Int(regionCount) < maxCandidates else { break }
            regionCount += 1
            marks[start] = regionCount
            stack.append(start)
            var minX = width, minY = height, maxX = -1, maxY = -1
            var sum: Float = 0, count = 0
            // 8-connected flood fill, as contour finding treats diagonal neighbours.
            while let index = stack.popLast() {
                let x = index % width, y = index / width
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                sum += probability[index]; count += 1
                for dy in -1...1 {
                    let ny = y + dy
                    guard ny >= 0, ny < height else { continue }
                    for dx in -1...1 {
                        let nx = x + dx
                        guard nx >= 0, nx < width else { continue }
                        let neighbour = ny * width + nx
                        if marks[neighbour] == -1 { marks[neighbour] = regionCount; stack.append(neighbour) }
                    }
                }
            }
            let w = Float(maxX - minX + 1), h = Float(maxY - minY + 1)
            guard min(w, h) >= minSize else { continue }
            let score = sum / Float(count)
            guard score >= boxThreshold else { continue }
            // Offsetting a w×h rectangle by d = A·r/L grows each side by d (Vatti clipping
            // of a rectangle, which is what PaddleOCR's pyclipper call does).
            let d = w * h * unclipRatio / (2 * (w + h))
            let grown = Box(x1: Float(minX) - d, y1: Float(minY) - d, x2: Float(maxX + 1) + d, y2: Float(maxY + 1) + d)
            guard min(grown.width, grown.height) >= minSize + 2 else { continue }
            result.append(Detection(label: label, classIndex: 0, score: score,
                                    box: grown.clamped(width: Float(width), height: Float(height))))
        }
        return NonMaxSuppression.sortedByScore(result)
    }

    /// `regions` on an array.
    public func regions(probability: [Float], width: Int, height: Int) throws -> [Detection] {
        try probability.withUnsafeBufferPointer { try regions(probability: $0, width: width, height: height) }
    }

    /// Text boxes mapped to source pixels, best first.
    public func decode(probability: UnsafeBufferPointer<Float>, width: Int, height: Int, transform: InputTransform) throws -> [Detection] {
        try regions(probability: probability, width: width, height: height).map(transform.sourceDetection)
    }

    /// `decode` on an array.
    public func decode(probability: [Float], width: Int, height: Int, transform: InputTransform) throws -> [Detection] {
        try probability.withUnsafeBufferPointer { try decode(probability: $0, width: width, height: height, transform: transform) }
    }
}
