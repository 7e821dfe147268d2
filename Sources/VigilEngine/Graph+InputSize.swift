extension Graph {
    /// Concrete shapes for every input with batch 1 and, when `size` is given, the spatial
    /// dimensions set to it. Spatial axes are found from the channel axis: a declared 1 or 3
    /// at axis 1 means NCHW, at the last axis NHWC.
    public func concreteInputShapes(size: (height: Int, width: Int)?) throws -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for (name, declared) in inputDescriptions {
            var shape = declared.map { d -> Int in if case .fixed(let n) = d, n > 0 { return n }; return -1 }
            if !shape.isEmpty && shape[0] < 0 { shape[0] = 1 }
            if shape.count == 4 {
                let channelsFirst = [1, 3].contains(shape[1]) || (shape[1] > 0 && shape[3] < 0)
                let (hAxis, wAxis) = channelsFirst ? (2, 3) : (1, 2)
                if let size {
                    shape[hAxis] = size.height
                    shape[wAxis] = size.width
                }
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw EngineError.inputShapeMismatch(name: name, expected: "[" + declared.map(\.description).joined(separator: ", ") + "] needs --size for its dynamic dimensions", got: [])
            }
            result[name] = shape
        }
        return result
    }
}
