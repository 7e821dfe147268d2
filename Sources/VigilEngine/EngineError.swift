/// Everything that can go wrong while loading, planning or running a model.
/// Each message names the model element at fault and, where possible, what to do.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// The model file could not be read at all.
    case cannotReadModel(path: String, reason: String)
    /// The bytes are not a valid model of the expected format (truncated, corrupt).
    case malformedModel(format: String, reason: String)
    /// The model uses an operator Vigil does not implement.
    case unsupportedOperator(name: String, node: String, opset: Int)
    /// An operator attribute or input combination Vigil does not implement.
    case unsupportedAttribute(op: String, node: String, detail: String)
    /// A node's inputs are inconsistent (wrong count, incompatible shapes).
    case invalidNode(op: String, node: String, reason: String)
    /// The caller's input does not fit the model.
    case inputShapeMismatch(name: String, expected: String, got: [Int])
    /// An input the model needs was not given.
    case missingInput(name: String)
    /// A value needed at run time is computed from integers that depend on data, which the
    /// planner cannot fold into constants.
    case dynamicIntegerComputation(node: String)
    /// A .npy file could not be read or written.
    case npy(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotReadModel(let path, let reason):
            return "cannot read model '\(path)': \(reason)"
        case .malformedModel(let format, let reason):
            return "malformed \(format) model: \(reason)"
        case .unsupportedOperator(let name, let node, let opset):
            return "unsupported operator '\(name)' (node '\(node)', opset \(opset))"
        case .unsupportedAttribute(let op, let node, let detail):
            return "unsupported \(op) configuration in node '\(node)': \(detail)"
        case .invalidNode(let op, let node, let reason):
            return "invalid \(op) node '\(node)': \(reason)"
        case .inputShapeMismatch(let name, let expected, let got):
            return "input '\(name)' has shape \(got), the model expects \(expected)"
        case .missingInput(let name):
            return "missing model input '\(name)'"
        case .dynamicIntegerComputation(let node):
            return "node '\(node)' computes integers from run-time data; Vigil only supports integer plumbing that folds to constants"
        case .npy(let path, let reason):
            return "npy '\(path)': \(reason)"
        }
    }
}
