import VigilEngine
import XCTest
@testable import VigilVision

final class LinearAssignmentTests: XCTestCase {
    /// The extended objective: matched costs plus costLimit/2 per unmatched row and column.
    func objective(_ matches: [(row: Int, column: Int)], cost: [Float], rows: Int, columns: Int, limit: Float) -> Double {
        var total = Double(rows + columns - 2 * matches.count) * Double(limit) / 2
        for m in matches { total += Double(cost[m.row * columns + m.column]) }
        return total
    }

    /// Every partial matching with admissible pairs, by recursion over rows.
    func bruteForceBest(cost: [Float], rows: Int, columns: Int, limit: Float) -> Double {
        var best = Double.infinity
        var used = [Bool](repeating: false, count: columns)
        func visit(_ row: Int, _ matched: [(row: Int, column: Int)]) {
            if row == rows { best = min(best, objective(matched, cost: cost, rows: rows, columns: columns, limit: limit)); return }
            visit(row + 1, matched)
            for c in 0..<columns where !used[c] && cost[row * columns + c] < limit {
                used[c] = true
                visit(row + 1, matched + [(row, c)])
                used[c] = false
            }
        }
        visit(0, [])
        return best
    }

    func testMatchesBruteForceOnRandomRectangularMatrices() {
        var generator = SeededGenerator(seed: 7)
        for trial in 0..<300 {
            let rows = Int.random(in: 1...6, using: &generator), columns = Int.random(in: 1...6, using: &generator)
            let limit = Float.random(in: 0.3...1.2, using: &generator)
            var cost = (0..<(rows * columns)).map { _ in Float.random(in: 0...1, using: &generator) }
            if trial % 3 == 0 { for i in cost.indices where Float.random(in: 0...1, using: &generator) < 0.3 { cost[i] = .nan } }
            let matches = LinearAssignment.solve(cost: cost, rows: rows, columns: columns, costLimit: limit)
            XCTAssertEqual(Set(matches.map(\.row)).count, matches.count, "a row matched twice")
            XCTAssertEqual(Set(matches.map(\.column)).count, matches.count, "a column matched twice")
            for m in matches { XCTAssertLessThan(cost[m.row * columns + m.column], limit) }
            XCTAssertEqual(objective(matches, cost: cost, rows: rows, columns: columns, limit: limit),
                           bruteForceBest(cost: cost, rows: rows, columns: columns, limit: limit), accuracy: 1e-5,
                           "trial \(trial): \(rows)×\(columns) limit \(limit)")
        }
    }

    func testPrefersTheGlobalOptimumOverTheGreedyChoice() {
        // Greedy takes (0,0) at 0.1 and leaves row 1 with only column 0; the optimum crosses over.
        let cost: [Float] = [0.1, 0.2,
                             0.15, 0.9]
        let matches = LinearAssignment.solve(cost: cost, rows: 2, columns: 2, costLimit: 0.8)
        XCTAssertEqual(matches.map(\.row), [0, 1])
        XCTAssertEqual(matches.map(\.column), [1, 0])
    }

    func testEmptyAndAllForbidden() {
        XCTAssertTrue(LinearAssignment.solve(cost: [], rows: 0, columns: 5, costLimit: 1).isEmpty)
        XCTAssertTrue(LinearAssignment.solve(cost: [.nan, .nan, 2, 3], rows: 2, columns: 2, costLimit: 1).isEmpty)
    }

    func testAHugeComponentFallsBackToGreedyAndStaysOneToOne() {
        // Everything overlaps everything: one component beyond the exact limit.
        let n = LinearAssignment.exactComponentLimit + 40
        var generator = SeededGenerator(seed: 3)
        let cost = (0..<(n * n)).map { _ in Float.random(in: 0..<0.5, using: &generator) }
        let matches = LinearAssignment.solve(cost: cost, rows: n, columns: n, costLimit: 0.8)
        XCTAssertEqual(matches.count, n)
        XCTAssertEqual(Set(matches.map(\.column)).count, n)
    }
}
