/// One SSD prior box, in input-relative units (0...1 across the network input).
public struct Anchor: Sendable, Equatable {
    public var centerX: Float
    public var centerY: Float
    public var width: Float
    public var height: Float

    public init(centerX: Float, centerY: Float, width: Float, height: Float) {
        self.centerX = centerX; self.centerY = centerY; self.width = width; self.height = height
    }
}

/// How to lay out SSD anchors: the options of MediaPipe's `SsdAnchorsCalculator`, with
/// its defaults, as they appear in a model's JSON sidecar (snake_case keys).
public struct SSDAnchorOptions: Sendable, Equatable, Codable {
    /// Network input width in pixels.
    public var inputWidth: Int
    /// Network input height in pixels.
    public var inputHeight: Int
    /// Anchor scale of the first layer, relative to the input.
    public var minScale: Float
    /// Anchor scale of the last layer.
    public var maxScale: Float
    /// Anchor centre within its cell, in cells (0.5 = the middle).
    public var anchorOffsetX: Float = 0.5
    public var anchorOffsetY: Float = 0.5
    /// Number of output feature maps.
    public var numLayers: Int
    /// Stride of each feature map in input pixels; maps are `ceil(input / stride)` cells.
    public var strides: [Int]
    /// Explicit feature-map sizes; when given they replace the sizes derived from `strides`.
    public var featureMapWidths: [Int]? = nil
    public var featureMapHeights: [Int]? = nil
    /// One anchor per ratio (width / height) and cell, at the layer's scale.
    public var aspectRatios: [Float] = [1]
    /// Whether layer 0 uses the fixed set {0.1 × 1:1, s × 2:1, s × 1:2} instead.
    public var reduceBoxesInLowestLayer = false
    /// Ratio of one extra anchor per cell at the geometric mean of this layer's and the next
    /// layer's scale; 0 adds none.
    public var interpolatedScaleAspectRatio: Float = 1
    /// Whether every anchor is 1 × 1, so the regressor predicts sizes directly (BlazeFace).
    public var fixedAnchorSize = false

    public init(inputWidth: Int, inputHeight: Int, minScale: Float, maxScale: Float, numLayers: Int, strides: [Int],
                anchorOffsetX: Float = 0.5, anchorOffsetY: Float = 0.5, aspectRatios: [Float] = [1],
                reduceBoxesInLowestLayer: Bool = false, interpolatedScaleAspectRatio: Float = 1, fixedAnchorSize: Bool = false,
                featureMapWidths: [Int]? = nil, featureMapHeights: [Int]? = nil) {
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.minScale = minScale; self.maxScale = maxScale
        self.numLayers = numLayers; self.strides = strides
        self.anchorOffsetX = anchorOffsetX; self.anchorOffsetY = anchorOffsetY
        self.aspectRatios = aspectRatios
        self.reduceBoxesInLowestLayer = reduceBoxesInLowestLayer
        self.interpolatedScaleAspectRatio = interpolatedScaleAspectRatio
        self.fixedAnchorSize = fixedAnchorSize
        self.featureMapWidths = featureMapWidths; self.featureMapHeights = featureMapHeights
    }

    enum CodingKeys: String, CodingKey {
        case inputWidth = "input_width", inputHeight = "input_height", minScale = "min_scale", maxScale = "max_scale"
        case anchorOffsetX = "anchor_offset_x", anchorOffsetY = "anchor_offset_y", numLayers = "num_layers", strides
        case featureMapWidths = "feature_map_widths", featureMapHeights = "feature_map_heights"
        case aspectRatios = "aspect_ratios", reduceBoxesInLowestLayer = "reduce_boxes_in_lowest_layer"
        case interpolatedScaleAspectRatio = "interpolated_scale_aspect_ratio", fixedAnchorSize = "fixed_anchor_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputWidth = try c.decode(Int.self, forKey: .inputWidth)
        inputHeight = try c.decode(Int.self, forKey: .inputHeight)
        minScale = try c.decode(Float.self, forKey: .minScale)
        maxScale = try c.decode(Float.self, forKey: .maxScale)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        strides = try c.decodeIfPresent([Int].self, forKey: .strides) ?? []
        anchorOffsetX = try c.decodeIfPresent(Float.self, forKey: .anchorOffsetX) ?? 0.5
        anchorOffsetY = try c.decodeIfPresent(Float.self, forKey: .anchorOffsetY) ?? 0.5
        featureMapWidths = try c.decodeIfPresent([Int].self, forKey: .featureMapWidths)
        featureMapHeights = try c.decodeIfPresent([Int].self, forKey: .featureMapHeights)
        aspectRatios = try c.decodeIfPresent([Float].self, forKey: .aspectRatios) ?? [1]
        reduceBoxesInLowestLayer = try c.decodeIfPresent(Bool.self, forKey: .reduceBoxesInLowestLayer) ?? false
        interpolatedScaleAspectRatio = try c.decodeIfPresent(Float.self, forKey: .interpolatedScaleAspectRatio) ?? 1
        fixedAnchorSize = try c.decodeIfPresent(Bool.self, forKey: .fixedAnchorSize) ?? false
    }
}

/// SSD anchor generation with the semantics of MediaPipe's `SsdAnchorsCalculator`
/// (non-multiscale mode), so BlazeFace/BlazePose/BlazePalm regressors decode against the
/// same priors they were trained with.
public enum SSDAnchors {
    /// The anchors in output order: layer by layer (consecutive layers of equal stride share
    /// one grid), then row, column, and anchor within the cell.
    /// - Throws: `VisionError.invalidMetadata` when the options are inconsistent.
    public static func generate(_ options: SSDAnchorOptions) throws -> [Anchor] {
        let layers = options.numLayers
        func invalid(_ reason: String) -> VisionError { .invalidMetadata(model: "ssd anchors", reason: reason) }
        guard layers > 0 else { throw invalid("num_layers must be positive, got \(layers)") }
        guard options.inputWidth > 0, options.inputHeight > 0 else {
            throw invalid("input size must be positive, got \(options.inputWidth)x\(options.inputHeight)")
        }
        let explicitMaps = options.featureMapWidths != nil || options.featureMapHeights != nil
        if explicitMaps {
            guard options.featureMapWidths?.count == layers, options.featureMapHeights?.count == layers else {
                throw invalid("feature_map_widths and feature_map_heights need \(layers) entries each")
            }
        } else if options.strides.isEmpty {
            throw invalid("give strides or feature_map_widths/feature_map_heights")
        }
        if !options.strides.isEmpty {
            guard options.strides.count == layers else {
                throw invalid("strides has \(options.strides.count) entries, num_layers is \(layers)")
            }
            guard options.strides.allSatisfy({ $0 > 0 }) else { throw invalid("strides must be positive: \(options.strides)") }
        }
        guard !options.aspectRatios.isEmpty || options.interpolatedScaleAspectRatio > 0 || options.reduceBoxesInLowestLayer else {
            throw invalid("no anchors per cell: aspect_ratios is empty and interpolated_scale_aspect_ratio is 0")
        }

        // Scales grow linearly from min to max over the layers (the SSD paper's rule); one
        // layer alone takes the midpoint.
        let strideCount = options.strides.count
        let scaleCount = strideCount > 0 ? strideCount : layers
        func scale(forLayer index: Int) -> Float {
            if scaleCount == 1 { return (options.minScale + options.maxScale) / 2 }
            return options.minScale + (options.maxScale - options.minScale) * Float(index) / Float(scaleCount - 1)
        }

        var anchors: [Anchor] = []
        var layer = 0
        while layer < layers {
            // Layers sharing a stride predict on the same grid, so their anchors interleave per cell.
            var shapes: [(width: Float, height: Float)] = []
            var last = layer
            repeat {
                let s = scale(forLayer: last)
                if last == 0 && options.reduceBoxesInLowestLayer {
                    shapes.append(shape(scale: 0.1, ratio: 1))
                    shapes.append(shape(scale: s, ratio: 2))
                    shapes.append(shape(scale: s, ratio: 0.5))
                } else {
                    for ratio in options.aspectRatios { shapes.append(shape(scale: s, ratio: ratio)) }
                    if options.interpolatedScaleAspectRatio > 0 {
                        let next = last == scaleCount - 1 ? 1 : scale(forLayer: last + 1)
                        shapes.append(shape(scale: (s * next).squareRoot(), ratio: options.interpolatedScaleAspectRatio))
                    }
                }
                last += 1
            } while last < strideCount && options.strides[last] == options.strides[layer]

            let (mapWidth, mapHeight): (Int, Int)
            if let widths = options.featureMapWidths, let heights = options.featureMapHeights {
                (mapWidth, mapHeight) = (widths[layer], heights[layer])
            } else {
                let stride = Float(options.strides[layer])
                mapWidth = Int((Float(options.inputWidth) / stride).rounded(.up))
                mapHeight = Int((Float(options.inputHeight) / stride).rounded(.up))
            }
            anchors.reserveCapacity(anchors.count + mapWidth * mapHeight * shapes.count)
            for y in 0..<mapHeight {
                let centerY = (Float(y) + options.anchorOffsetY) / Float(mapHeight)
                for x in 0..<mapWidth {
                    let centerX = (Float(x) + options.anchorOffsetX) / Float(mapWidth)
                    for shape in shapes {
                        anchors.append(options.fixedAnchorSize
                            ? Anchor(centerX: centerX, centerY: centerY, width: 1, height: 1)
                            : Anchor(centerX: centerX, centerY: centerY, width: shape.width, height: shape.height))
                    }
                }
            }
            layer = last
        }
        return anchors
    }

    /// Width and height of an anchor of `scale` with `ratio` = width / height, keeping its area.
    private static func shape(scale: Float, ratio: Float) -> (width: Float, height: Float) {
        let root = ratio.squareRoot()
        return (scale * root, scale / root)
    }
}
