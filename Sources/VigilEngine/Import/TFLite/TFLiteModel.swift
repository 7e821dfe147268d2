/// The parts of a TFLite flatbuffer (schema version 3) that Vigil reads, decoded into plain
/// values. Field indices follow tensorflow/lite/schema/schema.fbs; options tables stay as
/// `FlatBufferTable`s and are read by the operator rules.
struct TFLiteModel {
    struct OperatorCode {
        /// max(deprecated_builtin_code, builtin_code), as the TFLite runtime resolves it.
        var builtinCode: Int
        var customCode: String?
        var version: Int
    }

    struct Quantization {
        var scale: [Float]
        var zeroPoint: [Int64]
        var quantizedDimension: Int
    }

    struct TensorInfo {
        var name: String
        var shape: [Int]
        /// `shape_signature`: -1 marks a dimension that is dynamic.
        var shapeSignature: [Int]
        var type: TFLiteTensorType
        /// Raw type code, kept for messages when `type` is `.unknown`.
        var typeCode: Int8
        var buffer: Int
        var quantization: Quantization?
        var sparsity: FlatBufferTable?
    }

    struct OperatorInfo {
        var opcodeIndex: Int
        /// -1 marks an absent optional input.
        var inputs: [Int]
        var outputs: [Int]
        var builtinOptionsType: Int
        var builtinOptions: FlatBufferTable?
        var customOptions: [UInt8]
    }

    var reader: FlatBufferReader
    var version: Int
    var operatorCodes: [OperatorCode]
    var tensors: [TensorInfo]
    var inputs: [Int]
    var outputs: [Int]
    var operators: [OperatorInfo]
    /// Byte range of each buffer's data in the file; empty for buffers without data.
    var buffers: [Range<Int>]

    /// Field indices of the schema tables Vigil reads.
    enum Field {
        enum Model { static let version = 0, operatorCodes = 1, subgraphs = 2, buffers = 4 }
        enum OperatorCode { static let deprecatedBuiltinCode = 0, customCode = 1, version = 2, builtinCode = 3 }
        enum SubGraph { static let tensors = 0, inputs = 1, outputs = 2, operators = 3 }
        enum Tensor {
            static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, sparsity = 6, shapeSignature = 7
        }
        enum Quantization { static let scale = 2, zeroPoint = 3, quantizedDimension = 6 }
        enum Operator {
            static let opcodeIndex = 0, inputs = 1, outputs = 2, builtinOptionsType = 3, builtinOptions = 4, customOptions = 5
        }
        enum Buffer { static let data = 0, offset = 1, size = 2 }
    }

    /// Parses `bytes`; structure errors throw `EngineError.malformedModel`.
    init(bytes: [UInt8]) throws {
        let reader = FlatBufferReader(bytes: bytes, format: "TFLite")
        guard bytes.count >= 8 else { throw reader.malformed("the file is \(bytes.count) bytes, too short to be a TFLite model") }
        guard reader.fileIdentifier == "TFL3" else {
            throw reader.malformed("the file identifier is not 'TFL3'; this is not a TFLite model")
        }
        self.reader = reader
        let model = try reader.rootTable()
        version = Int(try model.uint32(Field.Model.version, default: 0))

        operatorCodes = try model.tables(Field.Model.operatorCodes).map { code in
            let deprecated = Int(try code.int8(Field.OperatorCode.deprecatedBuiltinCode, default: 0))
            let builtin = Int(try code.int32(Field.OperatorCode.builtinCode, default: 0))
            return OperatorCode(builtinCode: max(deprecated, builtin),
                                customCode: try code.string(Field.OperatorCode.customCode),
                                version: Int(try code.int32(Field.OperatorCode.version, default: 1)))
        }

        buffers = try model.tables(Field.Model.buffers).map { buffer in
            if let data = try buffer.vector(Field.Buffer.data, elementSize: 1) { return data.byteRange }
            // Models over 2 GB keep buffers after the flatbuffer: offset from the file start.
            let offset = try buffer.uint64(Field.Buffer.offset, default: 0)
            let size = try buffer.uint64(Field.Buffer.size, default: 0)
            guard offset > 1, size > 0 else { return 0..<0 }
            guard let start = Int(exactly: offset), let count = Int(exactly: size) else {
                throw reader.malformed("a buffer's offset \(offset) or size \(size) is out of range")
            }
            try reader.checkRange(start, count: count, "a buffer's external data")
            return start..<(start + count)
        }

        let subgraphs = try model.tables(Field.Model.subgraphs)
        guard let main = subgraphs.first else { throw reader.malformed("the model has no subgraph") }

        tensors = try main.tables(Field.SubGraph.tensors).map { t in
            let typeCode = try t.int8(Field.Tensor.type, default: 0)
            var quantization: Quantization?
            if let q = try t.table(Field.Tensor.quantization) {
                let scale = try q.float32s(Field.Quantization.scale)
                if !scale.isEmpty {
                    quantization = Quantization(scale: scale, zeroPoint: try q.int64s(Field.Quantization.zeroPoint),
                                                quantizedDimension: Int(try q.int32(Field.Quantization.quantizedDimension, default: 0)))
                }
            }
            return TensorInfo(name: try t.string(Field.Tensor.name) ?? "",
                              shape: try t.int32s(Field.Tensor.shape).map { Int($0) },
                              shapeSignature: try t.int32s(Field.Tensor.shapeSignature).map { Int($0) },
                              type: TFLiteTensorType(rawValue: typeCode) ?? .unknown,
                              typeCode: typeCode,
                              buffer: Int(try t.uint32(Field.Tensor.buffer, default: 0)),
                              quantization: quantization,
                              sparsity: try t.table(Field.Tensor.sparsity))
        }
        let tensorCount = tensors.count
        func tensorIndices(_ raw: [Int32], optional: Bool, _ what: String) throws -> [Int] {
            try raw.map { i in
                let index = Int(i)
                if optional && index == -1 { return -1 }
                guard index >= 0, index < tensorCount else {
                    throw reader.malformed("\(what) refers to tensor \(index), but the subgraph has \(tensorCount)")
                }
                return index
            }
        }
        inputs = try tensorIndices(try main.int32s(Field.SubGraph.inputs), optional: false, "the subgraph's input list")
        outputs = try tensorIndices(try main.int32s(Field.SubGraph.outputs), optional: false, "the subgraph's output list")

        let codeCount = operatorCodes.count
        operators = try main.tables(Field.SubGraph.operators).enumerated().map { (index, op) in
            let opcodeIndex = Int(try op.uint32(Field.Operator.opcodeIndex, default: 0))
            guard opcodeIndex < codeCount else {
                throw reader.malformed("operator \(index) uses operator code \(opcodeIndex), but the model has \(codeCount)")
            }
            var custom: [UInt8] = []
            if let v = try op.vector(Field.Operator.customOptions, elementSize: 1) { custom = Array(reader.bytes[v.byteRange]) }
            return OperatorInfo(opcodeIndex: opcodeIndex,
                                inputs: try tensorIndices(try op.int32s(Field.Operator.inputs), optional: true, "operator \(index)'s inputs"),
                                outputs: try tensorIndices(try op.int32s(Field.Operator.outputs), optional: false, "operator \(index)'s outputs"),
                                builtinOptionsType: Int(try op.uint8(Field.Operator.builtinOptionsType, default: 0)),
                                builtinOptions: try op.table(Field.Operator.builtinOptions),
                                customOptions: custom)
        }
    }

    /// The data bytes of tensor `t`'s buffer (empty when it has none).
    func data(of tensor: TensorInfo) -> Range<Int> {
        tensor.buffer < buffers.count ? buffers[tensor.buffer] : 0..<0
    }
}

/// TFLite `TensorType` codes Vigil can decode.
enum TFLiteTensorType: Int8, Sendable {
    case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, bool = 6, int16 = 7, int8 = 9, float64 = 10
    case unknown = -1

    /// Bytes per element.
    var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .float16, .int16: return 2
        case .uint8, .bool, .int8: return 1
        case .int64, .float64: return 8
        case .unknown: return 0
        }
    }

    var isFloatingPoint: Bool { self == .float32 || self == .float16 || self == .float64 }

    /// Vigil's element type for values of this type.
    var dataType: DataType { isFloatingPoint ? .float32 : .int64 }
}

/// Names of the TFLite builtin operators by code (schema.fbs `BuiltinOperator`), for
/// messages; codes past the end print as numbers.
enum TFLiteBuiltinNames {
    static func name(_ code: Int) -> String {
        code >= 0 && code < names.count ? names[code] : "BUILTIN_\(code)"
    }

    static let names: [String] = [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
        "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
        "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
        "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
        "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
        "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
        "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
        "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
        "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE",
        "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
        "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
        "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE",
        "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
        "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
        "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
        "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
        "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
        "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
        "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
        "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
        "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
        "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
    ]
}
