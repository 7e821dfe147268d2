import XCTest
@testable import VigilEngine
import _TestSupport

/// The two-thread arena layout (`Planner.allocateThreadAffine`) on random step sequences.
final class ArenaTests: XCTestCase {
    /// Values live at the same time never overlap, and values that share memory share the
    /// center between their halves, so that each half of the memory keeps one thread.
    func testThreadAffineLayoutKeepsHalvesApart() {
        var rng = SeededGenerator(seed: 51)
        for _ in 0..<50 {
            var planner = Planner(graph: Graph(), threads: 2)
            let count = Int.random(in: 2...30, using: &rng)
            for i in 0..<count { _ = planner.addValue(name: "v\(i)", shape: [Int.random(in: 1...5000, using: &rng)], perm: [0]) }
            // Step i writes value i and reads up to three earlier values.
            for i in 0..<count {
                let reads = i == 0 ? [] : (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0..<i, using: &rng) }
                planner.steps.append(Planner.PendingStep(reads: reads, writes: [i]) { _ in fatalError("not built") })
            }
            let pinned: Set<Int> = [0, count - 1]
            let size = planner.allocateThreadAffine(pinned: pinned)
            var lastUse = [Int](repeating: -1, count: count)
            for (i, step) in planner.steps.enumerated() { for r in step.reads { lastUse[r] = max(lastUse[r], i) } }
            // Live from the step that writes it to its last read (pinned: always).
            func live(_ v: Int) -> ClosedRange<Int> { pinned.contains(v) ? 0...count : v...max(v, lastUse[v]) }
            func span(_ v: Int) -> Range<Int> { planner.values[v].offset..<(planner.values[v].offset + planner.values[v].count) }
            func center(_ v: Int) -> Int {
                let rounded = (planner.values[v].count + 15) / 16 * 16
                return planner.values[v].offset + rounded / 2 / 16 * 16
            }
            for a in 0..<count {
                XCTAssertEqual(planner.values[a].offset % 16, 0, "value \(a) not on a 64-byte line")
                XCTAssertLessThanOrEqual(span(a).upperBound, size)
                for b in (a + 1)..<count where span(a).overlaps(span(b)) {
                    XCTAssertFalse(live(a).overlaps(live(b)), "values \(a) and \(b) overlap while both live")
                    XCTAssertEqual(center(a), center(b), "values \(a) and \(b) share memory around different centers")
                }
            }
        }
    }
}
