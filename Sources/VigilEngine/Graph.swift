/// Index of a value (tensor) in a `Graph`.
public typealias ValueID = Int

/// One dimension of a declared input shape: fixed, or named and resolved at plan time.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let n): return "\(n)"
        case .symbolic(let name): return name.isEmpty ? "?" : name
        }
    }
}

/// A value flowing between nodes.
public struct ValueInfo: Sendable {
    public var name: String
    public var dataType: DataType
    /// Declared shape, when the model states one (graph inputs always do).
    public var declaredShape: [Dimension]?
}

/// One operation of the graph.
public struct Node: Sendable {
    public var name: String
    public var op: Operator
    /// `nil` marks an absent optional input.
    public var inputs: [ValueID?]
    public var outputs: [ValueID]
}

/// A model as imported: operators in topological order over named values, with constants
/// (weights and folded plumbing). Format-independent; the planner turns it into a `Plan`.
public struct Graph: Sendable {
    public var values: [ValueInfo] = []
    public var constants: [ValueID: Tensor] = [:]
    public var nodes: [Node] = []
    public var inputs: [ValueID] = []
    public var outputs: [ValueID] = []

    public init() {}

    /// Adds a value and returns its id.
    @discardableResult
    public mutating func addValue(name: String, dataType: DataType = .float32, shape: [Dimension]? = nil) -> ValueID {
        values.append(ValueInfo(name: name, dataType: dataType, declaredShape: shape))
        return values.count - 1
    }

    /// Adds a constant value.
    @discardableResult
    public mutating func addConstant(name: String, _ tensor: Tensor) -> ValueID {
        let id = addValue(name: name, dataType: tensor.dataType, shape: tensor.shape.map { .fixed($0) })
        constants[id] = tensor
        return id
    }

    /// Names of the graph inputs with their declared shapes.
    public var inputDescriptions: [(name: String, shape: [Dimension])] {
        inputs.map { (values[$0].name, values[$0].declaredShape ?? []) }
    }

    /// Names of the graph outputs.
    public var outputNames: [String] { outputs.map { values[$0].name } }

    /// Number of consumers of each value (graph outputs count as one).
    func consumerCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: values.count)
        for node in nodes { for case let input? in node.inputs { counts[input] += 1 } }
        for output in outputs { counts[output] += 1 }
        return counts
    }
}
