/// The result of planning: kernel steps over one preallocated arena.
final class Plan: @unchecked Sendable {
    let steps: [ExecutionStep]
    let arenaFloats: Int
    let inputs: [(name: String, shape: [Int], offset: Int)]
    let outputs: [(name: String, shape: [Int], offset: Int)]
    let ownedConstants: [UnsafeMutablePointer<Float>]

    init(steps: [ExecutionStep], arenaFloats: Int, inputs: [(name: String, shape: [Int], offset: Int)],
         outputs: [(name: String, shape: [Int], offset: Int)], ownedConstants: [UnsafeMutablePointer<Float>]) {
        self.steps = steps
        self.arenaFloats = arenaFloats
        self.inputs = inputs
        self.outputs = outputs
        self.ownedConstants = ownedConstants
    }

    deinit { for p in ownedConstants { p.deallocate() } }
}
