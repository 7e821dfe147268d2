/// Optimal one-to-one assignment between rows (tracks) and columns (detections) of a cost
/// matrix, where leaving a row or a column unassigned costs `costLimit / 2`.
///
/// This is the "extended" assignment ByteTrack solves with `lapjv(extend_cost=True,
/// cost_limit=…)`: a pair is matched only when that beats leaving both sides unmatched, i.e.
/// when its cost is below `costLimit`, and among all such matchings the total is minimal.
///
/// The bipartite graph of pairs under the limit is split into connected components first.
/// In tracking, objects only compete with their neighbours, so components are tiny and the
/// O(n³) Hungarian method runs on a few small matrices instead of one large one. A component
/// larger than `exactComponentLimit` on either side (thousands of overlapping boxes) falls back
/// to greedy matching by increasing cost, so a degenerate frame costs O(E log E), not O(n³).
public enum LinearAssignment {
    /// Components up to this many rows and columns are solved exactly.
    public static let exactComponentLimit = 160

    /// Matched (row, column) pairs, each with cost < `costLimit`, sorted by row.
    /// - Parameters:
    ///   - cost: `[rows, columns]` row-major; NaN entries are treated as forbidden.
    ///   - costLimit: pairs costing this much or more are never matched.
    public static func solve(cost: [Float], rows: Int, columns: Int, costLimit: Float) -> [(row: Int, column: Int)] {
        precondition(cost.count == rows * columns, "cost has \(cost.count) entries, expected \(rows)×\(columns)")
        guard rows > 0, columns > 0 else { return [] }

        // Union-find over rows (0..<rows) and columns (rows..<rows+columns) joined by admissible pairs.
        var parent = Array(0..<(rows + columns))
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var edges: [(row: Int, column: Int)] = []
        for r in 0..<rows {
            for c in 0..<columns where cost[r * columns + c] < costLimit {  // NaN compares false: forbidden
                edges.append((r, c))
                let a = find(r), b = find(rows + c)
                if a != b { parent[a] = b }
            }
        }
        guard !edges.isEmpty else { return [] }

        var componentRows: [Int: [Int]] = [:], componentColumns: [Int: [Int]] = [:]
        for r in 0..<rows { componentRows[find(r), default: []].append(r) }
        for c in 0..<columns { componentColumns[find(rows + c), default: []].append(c) }

        var matches: [(row: Int, column: Int)] = []
        for (root, memberRows) in componentRows {
            guard let memberColumns = componentColumns[root] else { continue }
            if memberRows.count == 1 && memberColumns.count == 1 {
                matches.append((memberRows[0], memberColumns[0]))  // the edge that joined them is admissible
            } else if memberRows.count <= exactComponentLimit && memberColumns.count <= exactComponentLimit {
                matches += solveExtended(cost: cost, columns: columns, rows: memberRows, columnsIn: memberColumns, costLimit: costLimit)
            } else {
                matches += solveGreedy(cost: cost, columns: columns, rows: memberRows, columnsIn: memberColumns, costLimit: costLimit)
            }
        }
        return matches.sorted { $0.row < $1.row }
    }

    /// Hungarian method (shortest augmenting paths with potentials) on the square matrix
    /// [[C, L/2], [L/2, 0]] of side r + c, so every row and column may stay unmatched at L/2.
    private static func solveExtended(cost: [Float], columns stride: Int, rows memberRows: [Int], columnsIn memberColumns: [Int],
                                      costLimit: Float) -> [(row: Int, column: Int)] {
        let r = memberRows.count, c = memberColumns.count, n = r + c
        let half = Double(costLimit) / 2
        let forbidden = Double(costLimit) * 4 + 1  // dearer than any alternative, yet finite
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                if i < r && j < c {
                    let value = Double(cost[memberRows[i] * stride + memberColumns[j]])
                    a[i * n + j] = value < Double(costLimit) ? value : forbidden
                } else if i < r || j < c {
                    a[i * n + j] = half
                }
            }
        }
        // 1-based potentials u (rows), v (columns); p[j] = row assigned to column j; way = predecessor column.
        var u = [Double](repeating: 0, count: n + 1), v = u
        var p = [Int](repeating: 0, count: n + 1), way = p
        var minv = [Double](repeating: 0, count: n + 1)
        var used = [Bool](repeating: false, count: n + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            for j in 0...n { minv[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let current = a[(i0 - 1) * n + (j - 1)] - u[i0] - v[j]
                    if current < minv[j] { minv[j] = current; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...n {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var matches: [(row: Int, column: Int)] = []
        for j in 1...c {
            let i = p[j]
            if i >= 1 && i <= r && a[(i - 1) * n + (j - 1)] < Double(costLimit) {
                matches.append((memberRows[i - 1], memberColumns[j - 1]))
            }
        }
        return matches
    }

    /// Cheapest admissible pair first, then the next among the still-free ones.
    private static func solveGreedy(cost: [Float], columns stride: Int, rows memberRows: [Int], columnsIn memberColumns: [Int],
                                    costLimit: Float) -> [(row: Int, column: Int)] {
        var candidates: [(cost: Float, row: Int, column: Int)] = []
        for r in memberRows {
            for c in memberColumns where cost[r * stride + c] < costLimit {
                candidates.append((cost[r * stride + c], r, c))
            }
        }
        candidates.sort { $0.cost < $1.cost || ($0.cost == $1.cost && ($0.row, $0.column) < ($1.row, $1.column)) }
        var rowTaken = Set<Int>(), columnTaken = Set<Int>()
        var matches: [(row: Int, column: Int)] = []
        for candidate in candidates where !rowTaken.contains(candidate.row) && !columnTaken.contains(candidate.column) {
            rowTaken.insert(candidate.row)
            columnTaken.insert(candidate.column)
            matches.append((candidate.row, candidate.column))
        }
        return matches
    }
}
