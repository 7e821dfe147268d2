import Foundation

/// Reads a float TFLite model (schema version 3, main subgraph) into a `Graph`.
///
/// Activations stay NHWC (`SpatialLayout.nhwc`); weights are converted to Vigil's canonical
/// forms at import. Float16 weights behind DEQUANTIZE and sparse weights behind DENSIFY are
/// folded into float32 constants. Every operator goes through `TFLiteOperatorTable`; one
/// missing from it fails here, at load time, with its name.
public enum TFLiteImporter {
    /// Loads the model at `path`.
    public static func load(path: String) throws -> Graph {
        try importModel(data: ModelLoader.readModelFile(path: path))
    }

    /// Parses TFLite flatbuffer bytes. Corrupt input throws `EngineError.malformedModel`.
    public static func importModel(data: Data) throws -> Graph {
        let model = try TFLiteModel(bytes: [UInt8](data))
        let builder = TFLiteGraphBuilder(model: model)
        try builder.build()
        return builder.graph
    }
}

/// Translation state: TFLite tensor indices to graph values, constants decoded so far, and
/// the graph being built. A class so that rules can add helper nodes without copying it.
final class TFLiteGraphBuilder {
    let model: TFLiteModel
    var graph = Graph()
    /// Graph value of each TFLite tensor, once defined.
    var ids: [Int: ValueID] = [:]
    /// Constant tensors by TFLite index: decoded from buffers, or folded at import.
    var constants: [Int: Tensor] = [:]

    /// Largest element count Vigil materialises from a file (1 GiB of float32).
    static let maxElements = 1 << 28

    init(model: TFLiteModel) { self.model = model }

    var opset: Int { model.version }

    func malformed(_ reason: String) -> EngineError { .malformedModel(format: "TFLite", reason: reason) }

    func build() throws {
        for t in model.inputs where try constant(t) == nil {
            let info = model.tensors[t]
            guard info.type == .float32 || info.type == .int32 || info.type == .int64 else {
                throw EngineError.unsupportedAttribute(op: "input", node: info.name,
                                                       detail: "input type code \(info.typeCode) (Vigil runs float models; quantized inputs are not supported)")
            }
            let signature = info.shapeSignature.count == info.shape.count ? info.shapeSignature : info.shape
            let dims = try zip(info.shape, signature).map { (size, declared) -> Dimension in
                if declared < 0 { return .symbolic("") }
                guard size >= 0 else { throw malformed("input '\(info.name)' has a negative dimension in \(info.shape)") }
                return .fixed(size)
            }
            let id = graph.addValue(name: info.name, dataType: info.type.dataType, shape: dims)
            ids[t] = id
            graph.inputs.append(id)
        }
        for (index, op) in model.operators.enumerated() {
            try translate(op, index: index)
        }
        for t in model.outputs {
            graph.outputs.append(try value(t))
        }
        guard !graph.nodes.isEmpty || !graph.outputs.isEmpty else { throw malformed("the model has no operators") }
    }

    // MARK: Tensors

    /// Shape of tensor `t` as the file declares it (checked non-negative, element count bounded).
    func shape(_ t: Int) throws -> [Int] {
        guard t >= 0, t < model.tensors.count else { throw malformed("tensor index \(t) is out of range") }
        let shape = model.tensors[t].shape
        _ = try elementCount(shape, "tensor '\(model.tensors[t].name)'")
        return shape
    }

    /// Product of `shape`, checked for negative dimensions, overflow and size.
    func elementCount(_ shape: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else { throw malformed("\(what()) has a negative dimension in \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Self.maxElements else { throw malformed("\(what()) shape \(shape) is too large") }
            count = product
        }
        return count
    }

    /// The constant value of tensor `t`, decoded from its buffer or folded at import;
    /// nil for tensors computed at run time (and for sparse tensors, which DENSIFY reads).
    func constant(_ t: Int) throws -> Tensor? {
        if let tensor = constants[t] { return tensor }
        guard t >= 0, t < model.tensors.count else { return nil }
        let info = model.tensors[t]
        let range = model.data(of: info)
        guard !range.isEmpty, info.sparsity == nil else { return nil }
        let shape = try shape(t)
        let count = try elementCount(shape, "tensor '\(info.name)'")
        let storage = try decode(info, range: range)
        let decodedCount: Int
        switch storage {
        case .float32(let v): decodedCount = v.count
        case .int64(let v): decodedCount = v.count
        }
        guard decodedCount == count else {
            throw malformed("tensor '\(info.name)' of shape \(shape) has \(decodedCount) elements in its buffer")
        }
        let tensor: Tensor
        switch storage {
        case .float32(let v): tensor = Tensor(shape: shape, floats: v)
        case .int64(let v): tensor = Tensor(shape: shape, ints: v)
        }
        constants[t] = tensor
        return tensor
    }

    /// Decodes a buffer of `info.type` elements.
    func decode(_ info: TFLiteModel.TensorInfo, range: Range<Int>) throws -> Tensor.Storage {
        let reader = model.reader
        switch info.type {
        case .float32: return .float32(try reader.littleEndianArray(UInt32.self, range: range).map { Float(bitPattern: $0) })
        case .float16: return .float32(try reader.littleEndianArray(UInt16.self, range: range).map { Float(Float16(bitPattern: $0)) })
        case .float64: return .float32(try reader.littleEndianArray(UInt64.self, range: range).map { Float(Double(bitPattern: $0)) })
        case .int32: return .int64(try reader.littleEndianArray(Int32.self, range: range).map { Int64($0) })
        case .int64: return .int64(try reader.littleEndianArray(Int64.self, range: range))
        case .int16: return .int64(try reader.littleEndianArray(Int16.self, range: range).map { Int64($0) })
        case .int8: return .int64(try reader.littleEndianArray(Int8.self, range: range).map { Int64($0) })
        case .uint8, .bool: return .int64(try reader.littleEndianArray(UInt8.self, range: range).map { Int64($0) })
        case .unknown:
            throw EngineError.unsupportedAttribute(op: "constant", node: info.name, detail: "tensor type code \(info.typeCode)")
        }
    }

    /// The graph value of tensor `t`, adding its constant to the graph on first use.
    func value(_ t: Int) throws -> ValueID {
        if let id = ids[t] { return id }
        guard t >= 0, t < model.tensors.count else { throw malformed("tensor index \(t) is out of range") }
        let info = model.tensors[t]
        if let tensor = try constant(t) {
            let id = graph.addConstant(name: info.name, tensor)
            ids[t] = id
            return id
        }
        if info.sparsity != nil {
            throw EngineError.unsupportedAttribute(op: "tensor", node: info.name, detail: "a sparse tensor read without DENSIFY")
        }
        throw malformed("tensor '\(info.name)' is read before any operator writes it")
    }

    // MARK: Operators

    func translate(_ op: TFLiteModel.OperatorInfo, index: Int) throws {
        let code = model.operatorCodes[op.opcodeIndex]
        let isCustom = code.builtinCode == TFLiteOperatorTable.customCode
        let opName = isCustom ? (code.customCode ?? "CUSTOM") : TFLiteBuiltinNames.name(code.builtinCode)
        let outputName = op.outputs.first.map { model.tensors[$0].name } ?? ""
        let name = outputName.isEmpty ? "\(opName)_\(index)" : outputName
        let rule = isCustom ? TFLiteOperatorTable.customRules[code.customCode ?? ""] : TFLiteOperatorTable.builtinRules[code.builtinCode]
        guard let rule else {
            throw EngineError.unsupportedOperator(name: isCustom ? "CUSTOM:\(opName)" : opName, node: name, opset: opset)
        }
        guard !op.outputs.isEmpty else { throw EngineError.invalidNode(op: opName, node: name, reason: "no outputs") }
        try rejectQuantizedTensors(op, opName: opName, node: name)

        let context = TFLiteNodeContext(builder: self, op: op, opName: opName, name: name)
        switch try rule(context) {
        case .constant(let tensor):
            constants[op.outputs[0]] = tensor
        case .alias(let id):
            ids[op.outputs[0]] = id
        case .node(let operation, let inputs, let activation):
            let outputs = op.outputs.map { t -> ValueID in
                graph.addValue(name: model.tensors[t].name, dataType: model.tensors[t].type.dataType)
            }
            if activation == .identity {
                graph.nodes.append(Node(name: name, op: operation, inputs: inputs, outputs: outputs))
            } else {
                guard outputs.count == 1 else {
                    throw EngineError.unsupportedAttribute(op: opName, node: name, detail: "a fused activation on several outputs")
                }
                let raw = graph.addValue(name: "\(name)/before_activation")
                graph.nodes.append(Node(name: name, op: operation, inputs: inputs, outputs: [raw]))
                graph.nodes.append(Node(name: "\(name)/activation", op: .activation(activation), inputs: [raw], outputs: outputs))
            }
            for (t, id) in zip(op.outputs, outputs) { ids[t] = id }
        }
    }

    /// Vigil runs float graphs: integer-quantized activations would be silently wrong.
    func rejectQuantizedTensors(_ op: TFLiteModel.OperatorInfo, opName: String, node: String) throws {
        for t in op.inputs + op.outputs where t >= 0 {
            let info = model.tensors[t]
            // Constants are decoded (and dequantized) by the rules that read them.
            if constants[t] != nil || !model.data(of: info).isEmpty || info.sparsity != nil { continue }
            switch info.type {
            case .int8, .uint8, .int16:
                if info.quantization != nil {
                    throw EngineError.unsupportedAttribute(op: opName, node: node, detail: "quantized tensor '\(info.name)' (only float models are supported)")
                }
            case .unknown:
                throw EngineError.unsupportedAttribute(op: opName, node: node, detail: "tensor '\(info.name)' of type code \(info.typeCode)")
            default:
                continue
            }
        }
    }
}

/// What one TFLite operator becomes.
enum TFLiteTranslation {
    /// A node writing the operator's outputs, followed by `activation` when not identity.
    case node(Operator, inputs: [ValueID?], activation: Activation = .identity)
    /// The operator folds to a constant at import (DEQUANTIZE and DENSIFY of weights).
    case constant(Tensor)
    /// The operator passes its input through.
    case alias(ValueID)
}

/// The operator being translated, with typed accessors for its tensors and options.
struct TFLiteNodeContext {
    let builder: TFLiteGraphBuilder
    let op: TFLiteModel.OperatorInfo
    let opName: String
    let name: String

    var opset: Int { builder.opset }

    func unsupported(_ detail: String) -> EngineError {
        .unsupportedAttribute(op: opName, node: name, detail: detail)
    }

    func invalid(_ reason: String) -> EngineError {
        .invalidNode(op: opName, node: name, reason: reason)
    }

    // MARK: Tensors

    /// Whether optional input `i` is given.
    func hasInput(_ i: Int) -> Bool { i >= 0 && i < op.inputs.count && op.inputs[i] >= 0 }

    /// TFLite tensor index of input `i`, required.
    func inputTensor(_ i: Int) throws -> Int {
        guard hasInput(i) else { throw invalid("missing input \(i)") }
        return op.inputs[i]
    }

    func inputInfo(_ i: Int) throws -> TFLiteModel.TensorInfo { builder.model.tensors[try inputTensor(i)] }

    /// Graph value of input `i`.
    func input(_ i: Int) throws -> ValueID { try builder.value(try inputTensor(i)) }

    /// Graph value of input `i` when the operator has it.
    func optionalInput(_ i: Int) throws -> ValueID? { hasInput(i) ? try input(i) : nil }

    /// The constant behind input `i`, if it is one.
    func constant(_ i: Int) throws -> Tensor? { hasInput(i) ? try builder.constant(op.inputs[i]) : nil }

    /// The constant behind input `i`; throws when it is computed at run time.
    func requireConstant(_ i: Int, _ what: String) throws -> Tensor {
        guard let tensor = try constant(i) else { throw unsupported("\(what) computed at run time") }
        return tensor
    }

    /// Constant input `i` as integers (shapes, axes, paddings), clamped to the int32 range
    /// so that arithmetic on them cannot overflow.
    func constantInts(_ i: Int, _ what: String) throws -> [Int] {
        let tensor = try requireConstant(i, what)
        guard tensor.dataType == .int64 else { throw invalid("\(what) is not an integer tensor") }
        return Self.clampedInts(tensor)
    }

    static func clampedInts(_ tensor: Tensor) -> [Int] {
        tensor.ints.map { Int(max(min($0, Int64(Int32.max)), Int64(Int32.min))) }
    }

    /// Declared shape of input `i`.
    func inputShape(_ i: Int) throws -> [Int] { try builder.shape(try inputTensor(i)) }

    /// Declared shape of output `i`.
    func outputShape(_ i: Int = 0) throws -> [Int] {
        guard i < op.outputs.count else { throw invalid("missing output \(i)") }
        return try builder.shape(op.outputs[i])
    }

    /// Declared shape of input `i`, required to be NHWC 4-D.
    func nhwcShape(_ i: Int) throws -> (n: Int, h: Int, w: Int, c: Int) {
        let s = try inputShape(i)
        guard s.count == 4 else { throw unsupported("a \(s.count)-D input \(s) (expects 4-D NHWC)") }
        return (s[0], s[1], s[2], s[3])
    }

    // MARK: Graph edits

    /// Adds a constant named after this node.
    func addConstant(_ tensor: Tensor, suffix: String) -> ValueID {
        builder.graph.addConstant(name: "\(name)/\(suffix)", tensor)
    }

    /// Adds an int64 vector constant.
    func addInts(_ values: [Int], suffix: String) -> ValueID {
        addConstant(Tensor(shape: [values.count], ints: values.map { Int64($0) }), suffix: suffix)
    }

    /// Adds a helper node with one output and returns that output.
    func addNode(_ operation: Operator, inputs: [ValueID?], suffix: String) -> ValueID {
        let output = builder.graph.addValue(name: "\(name)/\(suffix)")
        builder.graph.nodes.append(Node(name: "\(name)/\(suffix)", op: operation, inputs: inputs, outputs: [output]))
        return output
    }

    // MARK: Options

    /// The builtin options table, checked to be of `type` (schema `BuiltinOptions`); nil when absent.
    func options(_ type: Int) throws -> FlatBufferTable? {
        guard let table = op.builtinOptions, op.builtinOptionsType != 0 else { return nil }
        guard op.builtinOptionsType == type else {
            throw builder.malformed("operator '\(name)' (\(opName)) carries options of type \(op.builtinOptionsType), expected \(type)")
        }
        return table
    }

    func int(_ options: FlatBufferTable?, _ field: Int, default value: Int) throws -> Int {
        guard let options else { return value }
        return Int(try options.int32(field, default: Int32(value)))
    }

    func bool(_ options: FlatBufferTable?, _ field: Int, default value: Bool = false) throws -> Bool {
        guard let options else { return value }
        return try options.bool(field, default: value)
    }

    func float(_ options: FlatBufferTable?, _ field: Int, default value: Float) throws -> Float {
        guard let options else { return value }
        return try options.float32(field, default: value)
    }

    func byte(_ options: FlatBufferTable?, _ field: Int, default value: Int8 = 0) throws -> Int8 {
        guard let options else { return value }
        return try options.int8(field, default: value)
    }

    /// Schema `ActivationFunctionType` at `field`.
    func fusedActivation(_ options: FlatBufferTable?, _ field: Int) throws -> Activation {
        let code = try byte(options, field)
        switch code {
        case 0: return .identity
        case 1: return .relu
        case 2: return .clip(min: -1, max: 1)
        case 3: return .clip(min: 0, max: 6)
        case 4: return .tanh
        default: throw unsupported("fused activation code \(code)")
        }
    }

    /// Schema `Padding` at `field`: SAME puts the odd pixel at the end, as ONNX SAME_UPPER.
    func padding(_ options: FlatBufferTable?, _ field: Int) throws -> Padding {
        let code = try byte(options, field)
        switch code {
        case 0: return .sameUpper
        case 1: return .zero
        default: throw invalid("padding code \(code)")
        }
    }

    /// A positive (h, w) pair from two int32 fields.
    func pair(_ options: FlatBufferTable?, h: Int, w: Int, default value: Int, _ what: String) throws -> (h: Int, w: Int) {
        let result = (h: try int(options, h, default: value), w: try int(options, w, default: value))
        guard result.h > 0, result.w > 0, result.h <= 1 << 16, result.w <= 1 << 16 else {
            throw invalid("\(what) (\(result.h), \(result.w)) must be positive")
        }
        return result
    }
}
