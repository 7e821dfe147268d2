/// Expands TFLite sparse constants (schema `SparsityParameters`) to dense row-major tensors.
///
/// The format: a dense tensor of rank r, optionally cut into blocks over k of its axes, is
/// walked in `traversal_order` (r + k levels: a permutation of the r outer axes, then the k
/// block axes; `block_map[j]` names the original axis block axis r + j subdivides). Each
/// level's `dim_metadata` is DENSE (every index 0..<dense_size is present) or SPARSE_CSR
/// (`array_segments[p]..<array_segments[p + 1]` are the positions of the present indices
/// under parent position p, and `array_indices` holds those indices). The stored values
/// are the leaves in traversal order.
enum TFLiteSparsity {
    /// Largest dense tensor a sparse constant may expand to.
    static let maxElements = 1 << 26
    /// More levels than this is not a real tensor.
    static let maxLevels = 16

    enum Field {
        enum Parameters { static let traversalOrder = 0, blockMap = 1, dimMetadata = 2 }
        enum Dimension {
            static let format = 0, denseSize = 1, segmentsType = 2, segments = 3, indicesType = 4, indices = 5
        }
    }

    struct Level {
        var isDense: Bool
        var size: Int
        var segments: [Int] = []
        var indices: [Int] = []
    }

    /// The dense row-major elements of a sparse tensor of `shape` whose stored (non-zero)
    /// elements are `values`; absent elements are `zero`.
    static func densify<T>(values: [T], zero: T, shape: [Int], sparsity: FlatBufferTable, name: String) throws -> [T] {
        func malformed(_ reason: String) -> EngineError {
            .malformedModel(format: "TFLite", reason: "sparse tensor '\(name)': \(reason)")
        }
        let rank = shape.count
        var denseCount = 1
        for d in shape {
            guard d > 0 else { throw malformed("dimension \(d) in \(shape) must be positive") }
            let (product, overflow) = denseCount.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else { throw malformed("shape \(shape) is too large") }
            denseCount = product
        }

        let traversal = try sparsity.int32s(Field.Parameters.traversalOrder).map { Int($0) }
        let blockMap = try sparsity.int32s(Field.Parameters.blockMap).map { Int($0) }
        let metadata = try sparsity.tables(Field.Parameters.dimMetadata)
        let levelCount = traversal.count
        guard levelCount >= rank, levelCount <= maxLevels, levelCount - rank == blockMap.count, metadata.count == levelCount else {
            throw malformed("traversal order \(traversal), block map \(blockMap) and \(metadata.count) dimension metadata do not fit rank \(rank)")
        }
        guard traversal[..<rank].sorted() == Array(0..<rank), traversal[rank...].sorted() == Array(rank..<levelCount) else {
            throw malformed("traversal order \(traversal) is not a permutation of the axes")
        }
        guard blockMap.allSatisfy({ $0 >= 0 && $0 < rank }), Set(blockMap).count == blockMap.count else {
            throw malformed("block map \(blockMap) does not name distinct axes of rank \(rank)")
        }

        // Block sizes are the dense sizes of the block levels; the outer axes shrink by them.
        var blockSize = [Int](repeating: 1, count: blockMap.count)
        for level in rank..<levelCount {
            let block = traversal[level] - rank
            let size = Int(try metadata[level].int32(Field.Dimension.denseSize, default: 0))
            guard try metadata[level].int8(Field.Dimension.format, default: 0) == 0, size > 0, shape[blockMap[block]] % size == 0 else {
                throw malformed("block dimension \(block) must be dense with a size dividing axis \(blockMap[block])")
            }
            blockSize[block] = size
        }
        var outerShape = shape
        for (block, axis) in blockMap.enumerated() { outerShape[axis] /= blockSize[block] }

        let levels = try (0..<levelCount).map { level -> Level in
            let axis = traversal[level]
            let size = axis < rank ? outerShape[axis] : blockSize[axis - rank]
            let meta = metadata[level]
            switch try meta.int8(Field.Dimension.format, default: 0) {
            case 0:
                guard Int(try meta.int32(Field.Dimension.denseSize, default: 0)) == size else {
                    throw malformed("dense level \(level) declares size \(try meta.int32(Field.Dimension.denseSize, default: 0)), expected \(size)")
                }
                return Level(isDense: true, size: size)
            case 1:
                let segments = try indexVector(meta, typeField: Field.Dimension.segmentsType, field: Field.Dimension.segments, malformed)
                let indices = try indexVector(meta, typeField: Field.Dimension.indicesType, field: Field.Dimension.indices, malformed)
                return Level(isDense: false, size: size, segments: segments, indices: indices)
            case let format:
                throw malformed("level \(level) has unknown format \(format)")
            }
        }

        var dense = [T](repeating: zero, count: denseCount)
        let strides = shape.stridesRowMajor
        var index = [Int](repeating: 0, count: levelCount)
        var original = [Int](repeating: 0, count: rank)
        var next = 0

        // Depth-first over the levels; `parent` is the position within the level above.
        func visit(_ level: Int, parent: Int) throws {
            if level == levelCount {
                for l in 0..<rank { original[traversal[l]] = index[l] }
                for l in rank..<levelCount {
                    let block = traversal[l] - rank
                    original[blockMap[block]] = original[blockMap[block]] * blockSize[block] + index[l]
                }
                var offset = 0
                for axis in 0..<rank { offset += original[axis] * strides[axis] }
                guard next < values.count else { throw malformed("the metadata addresses more than the \(values.count) stored values") }
                dense[offset] = values[next]
                next += 1
                return
            }
            let info = levels[level]
            if info.isDense {
                for i in 0..<info.size {
                    index[level] = i
                    try visit(level + 1, parent: parent * info.size + i)
                }
            } else {
                guard parent >= 0, parent + 1 < info.segments.count else {
                    throw malformed("level \(level) has \(info.segments.count) segments, position \(parent) needs more")
                }
                let (begin, end) = (info.segments[parent], info.segments[parent + 1])
                guard begin >= 0, begin <= end, end <= info.indices.count else {
                    throw malformed("level \(level) segment \(begin)..<\(end) exceeds its \(info.indices.count) indices")
                }
                for position in begin..<end {
                    let i = info.indices[position]
                    guard i >= 0, i < info.size else { throw malformed("level \(level) index \(i) is outside 0..<\(info.size)") }
                    index[level] = i
                    try visit(level + 1, parent: position)
                }
            }
        }
        try visit(0, parent: 0)
        guard next == values.count else {
            throw malformed("the metadata addresses \(next) of the \(values.count) stored values")
        }
        return dense
    }

    /// A schema `SparseIndexVector` union (Int32Vector, Uint16Vector or Uint8Vector).
    static func indexVector(_ meta: FlatBufferTable, typeField: Int, field: Int,
                            _ malformed: (String) -> EngineError) throws -> [Int] {
        let type = try meta.uint8(typeField, default: 0)
        guard let table = try meta.table(field) else { throw malformed("a SPARSE_CSR level lacks its index vectors") }
        switch type {
        case 1: return try table.int32s(0).map { Int($0) }
        case 2:
            guard let v = try table.vector(0, elementSize: 2) else { return [] }
            return try (0..<v.count).map { Int(try v.uint16(at: $0)) }
        case 3:
            guard let v = try table.vector(0, elementSize: 1) else { return [] }
            return try (0..<v.count).map { Int(try v.uint8(at: $0)) }
        default:
            throw malformed("index vector type \(type) is unknown")
        }
    }
}
