import Foundation
import SwiftProtobuf

/// Reads an ONNX model (opset 11 to 21, default domain) into a `Graph`.
///
/// Every node is translated through `ONNXOperatorTable`; an operator missing from the table
/// fails here, at load time, with its name and node.
public enum ONNXImporter {
    /// Opsets Vigil's operator table is written against.
    public static let supportedOpsets = 7...21

    /// Loads the model at `path`.
    public static func load(path: String) throws -> Graph {
        try importModel(data: ModelLoader.readModelFile(path: path))
    }

    /// Parses serialized ONNX bytes.
    public static func importModel(data: Data) throws -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw EngineError.malformedModel(format: "ONNX", reason: "protobuf decoding failed (\(error)); the file is truncated or not an ONNX model")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw EngineError.malformedModel(format: "ONNX", reason: "the model has no graph nodes")
        }
        let opset = Int(model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version ?? 0)
        guard supportedOpsets.contains(opset) else {
            throw EngineError.malformedModel(format: "ONNX", reason: "default-domain opset \(opset) is outside the supported range \(supportedOpsets)")
        }
        var builder = ONNXGraphBuilder(opset: opset)
        try builder.build(model.graph)
        return builder.graph
    }
}

/// Incremental translation state: ONNX names to value ids, and the graph being built.
struct ONNXGraphBuilder {
    let opset: Int
    var graph = Graph()
    var ids: [String: ValueID] = [:]

    init(opset: Int) { self.opset = opset }

    mutating func build(_ proto: Onnx_GraphProto) throws {
        for initializer in proto.initializer {
            ids[initializer.name] = graph.addConstant(name: initializer.name, try ONNXTensorReader.tensor(initializer))
        }
        for input in proto.input where ids[input.name] == nil {
            let type = input.type.tensorType
            let shape = type.shape.dim.map { dim -> Dimension in
                switch dim.value {
                case .dimValue(let v)?: return .fixed(Int(v))
                case .dimParam(let name)?: return .symbolic(name)
                case nil: return .symbolic("")
                }
            }
            let id = graph.addValue(name: input.name, dataType: ONNXTensorReader.dataType(type.elemType), shape: shape)
            ids[input.name] = id
            graph.inputs.append(id)
        }
        for node in proto.node {
            try translate(node)
        }
        for output in proto.output {
            guard let id = ids[output.name] else {
                throw EngineError.malformedModel(format: "ONNX", reason: "graph output '\(output.name)' is produced by no node")
            }
            graph.outputs.append(id)
        }
    }

    /// Id of a named input, `nil` for the empty name ONNX uses for absent optional inputs.
    func value(_ name: String, node: Onnx_NodeProto) throws -> ValueID? {
        if name.isEmpty { return nil }
        guard let id = ids[name] else {
            throw EngineError.malformedModel(format: "ONNX", reason: "node '\(node.name)' reads '\(name)', which is not defined before it")
        }
        return id
    }

    mutating func translate(_ node: Onnx_NodeProto) throws {
        let name = node.name.isEmpty ? "\(node.opType)_\(graph.nodes.count)" : node.name
        if !(node.domain.isEmpty || node.domain == "ai.onnx") {
            throw EngineError.unsupportedOperator(name: "\(node.domain).\(node.opType)", node: name, opset: opset)
        }
        guard let rule = ONNXOperatorTable.rules[node.opType] else {
            throw EngineError.unsupportedOperator(name: node.opType, node: name, opset: opset)
        }
        var context = ONNXNodeContext(node: node, name: name, opset: opset, inputs: try node.input.map { try value($0, node: node) }, builder: self)
        let translation = try rule(&context)
        self = context.builder
        switch translation {
        case .constant(let tensor):
            guard let output = node.output.first else { return }
            ids[output] = graph.addConstant(name: output, tensor)
        case .alias(let input):
            guard let output = node.output.first else { return }
            ids[output] = input
        case .node(let op, let inputs):
            let outputs = node.output.map { outputName -> ValueID in
                let id = graph.addValue(name: outputName)
                ids[outputName] = id
                return id
            }
            graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputs: outputs))
        }
    }
}

/// What one ONNX node becomes.
enum ONNXTranslation {
    case node(Operator, inputs: [ValueID?])
    /// The node is a constant (Constant, or folded at import).
    case constant(Tensor)
    /// The node passes its input through (Identity, Dropout at inference).
    case alias(ValueID)
}

/// Attributes and inputs of the node being translated, with typed accessors.
struct ONNXNodeContext {
    let node: Onnx_NodeProto
    let name: String
    let opset: Int
    var inputs: [ValueID?]
    var builder: ONNXGraphBuilder

    func attribute(_ key: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == key } }

    func int(_ key: String, default value: Int) -> Int { attribute(key).map { Int($0.i) } ?? value }
    func float(_ key: String, default value: Float) -> Float { attribute(key)?.f ?? value }
    func ints(_ key: String) -> [Int]? { attribute(key).map { $0.ints.map { Int($0) } } }
    func floats(_ key: String) -> [Float]? { attribute(key)?.floats }
    func string(_ key: String, default value: String) -> String {
        attribute(key).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }

    /// Input `i`, required.
    func input(_ i: Int) throws -> ValueID {
        guard i < inputs.count, let id = inputs[i] else {
            throw EngineError.invalidNode(op: node.opType, node: name, reason: "missing input \(i)")
        }
        return id
    }

    /// Input `i` when the node has it.
    func optionalInput(_ i: Int) -> ValueID? { i < inputs.count ? inputs[i] : nil }

    /// The constant behind input `i`, if it is one.
    func constant(_ i: Int) -> Tensor? { optionalInput(i).flatMap { builder.graph.constants[$0] } }

    /// Adds a constant (an attribute moved to an input, as later opsets do).
    mutating func addConstant(_ tensor: Tensor, suffix: String) -> ValueID {
        builder.graph.addConstant(name: "\(name)/\(suffix)", tensor)
    }

    func unsupported(_ detail: String) -> EngineError {
        .unsupportedAttribute(op: node.opType, node: name, detail: detail)
    }

    func invalid(_ reason: String) -> EngineError {
        .invalidNode(op: node.opType, node: name, reason: reason)
    }
}

/// Decodes ONNX TensorProto payloads.
enum ONNXTensorReader {
    static func dataType(_ onnxType: Int32) -> DataType {
        switch onnxType {
        case 1, 10, 11, 16: return .float32
        default: return .int64
        }
    }

    static func tensor(_ proto: Onnx_TensorProto) throws -> Tensor {
        let shape = proto.dims.map { Int($0) }
        // Dims like [2^30, 2^30, 16] wrap the product to 0 and would match empty data.
        var count = 1, overflow = false
        for d in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: max(d, 0)) }
        guard shape.allSatisfy({ $0 >= 0 && $0 < (1 << 31) }), !overflow, count < (1 << 40) else {
            throw EngineError.malformedModel(format: "ONNX", reason: "tensor '\(proto.name)' has invalid dims \(proto.dims)")
        }
        if proto.dataLocation == .external {
            throw EngineError.malformedModel(format: "ONNX", reason: "tensor '\(proto.name)' uses external data, which Vigil does not load; re-export with weights inside the model")
        }
        let raw = proto.rawData
        func check(_ n: Int, _ kind: String) throws {
            guard n == count else {
                throw EngineError.malformedModel(format: "ONNX", reason: "tensor '\(proto.name)' has \(n) \(kind) values for shape \(shape)")
            }
        }
        func rawValues<T>(_ type: T.Type) throws -> [T] {
            let size = MemoryLayout<T>.size
            try check(raw.count / size, "raw")
            guard raw.count == count * size else {
                throw EngineError.malformedModel(format: "ONNX", reason: "tensor '\(proto.name)' raw data is \(raw.count) bytes, expected \(count * size)")
            }
            return raw.withUnsafeBytes { bytes in (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * size, as: T.self) } }
        }
        switch proto.dataType {
        case 1:
            if !raw.isEmpty { return Tensor(shape: shape, floats: try rawValues(Float.self)) }
            try check(proto.floatData.count, "float")
            return Tensor(shape: shape, floats: proto.floatData)
        case 11:
            if !raw.isEmpty { return Tensor(shape: shape, floats: try rawValues(Double.self).map { Float($0) }) }
            try check(proto.doubleData.count, "double")
            return Tensor(shape: shape, floats: proto.doubleData.map { Float($0) })
        case 10:
            if !raw.isEmpty { return Tensor(shape: shape, floats: try rawValues(UInt16.self).map { Float(Float16(bitPattern: $0)) }) }
            try check(proto.int32Data.count, "float16")
            return Tensor(shape: shape, floats: proto.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
        case 7:
            if !raw.isEmpty { return Tensor(shape: shape, ints: try rawValues(Int64.self)) }
            try check(proto.int64Data.count, "int64")
            return Tensor(shape: shape, ints: proto.int64Data)
        case 6:
            if !raw.isEmpty { return Tensor(shape: shape, ints: try rawValues(Int32.self).map { Int64($0) }) }
            try check(proto.int32Data.count, "int32")
            return Tensor(shape: shape, ints: proto.int32Data.map { Int64($0) })
        case 2, 9:
            if !raw.isEmpty { return Tensor(shape: shape, ints: try rawValues(UInt8.self).map { Int64($0) }) }
            try check(proto.int32Data.count, "uint8/bool")
            return Tensor(shape: shape, ints: proto.int32Data.map { Int64($0) })
        case 3:
            if !raw.isEmpty { return Tensor(shape: shape, ints: try rawValues(Int8.self).map { Int64($0) }) }
            try check(proto.int32Data.count, "int8")
            return Tensor(shape: shape, ints: proto.int32Data.map { Int64($0) })
        default:
            throw EngineError.malformedModel(format: "ONNX", reason: "tensor '\(proto.name)' has unsupported data type \(proto.dataType)")
        }
    }
}
