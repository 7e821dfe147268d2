import Foundation

/// A tiny FlatBuffers writer for tests: builds buffers front to back, each table before the
/// objects it references, so every uoffset points forward as the format requires.
/// Tables are described as `[fieldIndex: FBValue]`; no alignment padding (the reader under
/// test reads any alignment).
indirect enum FBValue {
    case int8(Int8), uint8(UInt8), bool(Bool), int32(Int32), uint32(UInt32), float(Float)
    case table([Int: FBValue])
    case tables([[Int: FBValue]])
    case int32s([Int32])
    case floats([Float])
    case uint16s([UInt16])
    case int64s([Int64])
    case bytes([UInt8])
    case string(String)
}

struct FlatBufferTestWriter {
    private(set) var bytes: [UInt8] = []

    /// A complete buffer: root offset, 4-byte identifier, then the root table.
    static func buffer(root: [Int: FBValue], identifier: String = "TFL3") -> [UInt8] {
        var writer = FlatBufferTestWriter()
        writer.bytes = [UInt8](repeating: 0, count: 8)
        let ident = Array(identifier.utf8.prefix(4))
        for (i, b) in ident.enumerated() { writer.bytes[4 + i] = b }
        let rootPosition = writer.writeTable(root)
        writer.patch(at: 0, UInt32(rootPosition))
        return writer.bytes
    }

    private mutating func append32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    private mutating func append16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    private mutating func patch(at position: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[position + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    private static func inlineSize(_ value: FBValue) -> Int {
        switch value {
        case .int8, .uint8, .bool: return 1
        case .int32, .uint32, .float: return 4
        default: return 4 // a uoffset
        }
    }

    /// Writes vtable then table, then the referenced objects; returns the table's position.
    @discardableResult
    mutating func writeTable(_ fields: [Int: FBValue]) -> Int {
        let maxIndex = fields.keys.max() ?? -1
        var fieldOffsets = [Int](repeating: 0, count: maxIndex + 1)
        var tableSize = 4
        for index in fields.keys.sorted() {
            fieldOffsets[index] = tableSize
            tableSize += Self.inlineSize(fields[index]!)
        }
        let vtable = bytes.count
        append16(UInt16(4 + 2 * fieldOffsets.count))
        append16(UInt16(tableSize))
        for offset in fieldOffsets { append16(UInt16(offset)) }
        let table = bytes.count
        append32(UInt32(bitPattern: Int32(table - vtable)))
        var references: [(Int, FBValue)] = []
        for index in fields.keys.sorted() {
            let value = fields[index]!
            switch value {
            case .int8(let v): bytes.append(UInt8(bitPattern: v))
            case .uint8(let v): bytes.append(v)
            case .bool(let v): bytes.append(v ? 1 : 0)
            case .int32(let v): append32(UInt32(bitPattern: v))
            case .uint32(let v): append32(v)
            case .float(let v): append32(v.bitPattern)
            default:
                references.append((bytes.count, value))
                append32(0)
            }
        }
        for (position, value) in references {
            let target = writeObject(value)
            patch(at: position, UInt32(target - position))
        }
        return table
    }

    /// Writes a referenced object (table, vector, string) and returns its position.
    private mutating func writeObject(_ value: FBValue) -> Int {
        let start = bytes.count
        switch value {
        case .table(let fields):
            return writeTable(fields)
        case .tables(let tables):
            append32(UInt32(tables.count))
            let slots = (0..<tables.count).map { start + 4 + 4 * $0 }
            for _ in tables { append32(0) }
            for (slot, table) in zip(slots, tables) {
                let target = writeTable(table)
                patch(at: slot, UInt32(target - slot))
            }
        case .int32s(let values):
            append32(UInt32(values.count)); for v in values { append32(UInt32(bitPattern: v)) }
        case .floats(let values):
            append32(UInt32(values.count)); for v in values { append32(v.bitPattern) }
        case .uint16s(let values):
            append32(UInt32(values.count)); for v in values { append16(v) }
        case .int64s(let values):
            append32(UInt32(values.count))
            for v in values { append32(UInt32(truncatingIfNeeded: v)); append32(UInt32(truncatingIfNeeded: v >> 32)) }
        case .bytes(let values):
            append32(UInt32(values.count)); bytes.append(contentsOf: values)
        case .string(let s):
            let utf8 = Array(s.utf8)
            append32(UInt32(utf8.count)); bytes.append(contentsOf: utf8); bytes.append(0)
        default:
            fatalError("scalars are written inline")
        }
        return start
    }
}

/// Builds small TFLite models for importer tests (schema field indices as in TFLiteModel.Field).
struct TFLiteTestModel {
    struct TensorSpec {
        var name: String
        var shape: [Int32]
        var type: Int8 = 0
        var data: [UInt8]? = nil
        var extra: [Int: FBValue] = [:]
    }

    struct OperatorSpec {
        var code: Int32
        var custom: String? = nil
        var inputs: [Int32]
        var outputs: [Int32]
        var optionsType: UInt8 = 0
        var options: [Int: FBValue]? = nil
        var customOptions: [UInt8]? = nil
    }

    var tensors: [TensorSpec] = []
    var operators: [OperatorSpec] = []
    var inputs: [Int32] = []
    var outputs: [Int32] = []

    /// Adds a tensor and returns its index; `floats` or `ints` (int32) make it a constant.
    @discardableResult
    mutating func tensor(_ name: String, _ shape: [Int32], type: Int8 = 0, floats: [Float]? = nil, ints: [Int32]? = nil,
                         data: [UInt8]? = nil, extra: [Int: FBValue] = [:]) -> Int32 {
        var bytes = data
        if let floats { bytes = Self.littleEndian(floats.map(\.bitPattern)) }
        if let ints { bytes = Self.littleEndian(ints.map { UInt32(bitPattern: $0) }) }
        tensors.append(TensorSpec(name: name, shape: shape, type: ints != nil ? 2 : type, data: bytes, extra: extra))
        return Int32(tensors.count - 1)
    }

    static func littleEndian(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    }

    static func littleEndian(_ halves: [UInt16]) -> [UInt8] {
        halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    mutating func op(_ code: Int32, _ inputs: [Int32], _ outputs: [Int32], optionsType: UInt8 = 0, options: [Int: FBValue]? = nil,
                     custom: String? = nil, customOptions: [UInt8]? = nil) {
        operators.append(OperatorSpec(code: code, custom: custom, inputs: inputs, outputs: outputs, optionsType: optionsType,
                                      options: options, customOptions: customOptions))
    }

    /// The serialized model.
    func bytes() -> [UInt8] {
        // Operator codes: one per distinct (code, custom name).
        var codes: [[Int: FBValue]] = []
        var codeIndex: [String: Int] = [:]
        var ops: [[Int: FBValue]] = []
        for op in operators {
            let key = "\(op.code)/\(op.custom ?? "")"
            if codeIndex[key] == nil {
                var code: [Int: FBValue] = [0: .int8(Int8(clamping: op.code)), 2: .int32(1), 3: .int32(op.code)]
                if let custom = op.custom { code[1] = .string(custom) }
                codeIndex[key] = codes.count
                codes.append(code)
            }
            var table: [Int: FBValue] = [0: .uint32(UInt32(codeIndex[key]!)), 1: .int32s(op.inputs), 2: .int32s(op.outputs)]
            if let options = op.options { table[3] = .uint8(op.optionsType); table[4] = .table(options) }
            if let custom = op.customOptions { table[5] = .bytes(custom) }
            ops.append(table)
        }
        // Buffer 0 is the empty sentinel, as converters write it.
        var buffers: [[Int: FBValue]] = [[:]]
        var tensorTables: [[Int: FBValue]] = []
        for t in tensors {
            var table: [Int: FBValue] = [0: .int32s(t.shape), 1: .int8(t.type), 3: .string(t.name)]
            if let data = t.data {
                table[2] = .uint32(UInt32(buffers.count))
                buffers.append([0: .bytes(data)])
            }
            for (k, v) in t.extra { table[k] = v }
            tensorTables.append(table)
        }
        let subgraph: [Int: FBValue] = [0: .tables(tensorTables), 1: .int32s(inputs), 2: .int32s(outputs), 3: .tables(ops)]
        return FlatBufferTestWriter.buffer(root: [0: .uint32(3), 1: .tables(codes), 2: .tables([subgraph]), 4: .tables(buffers)])
    }
}
