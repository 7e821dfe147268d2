/// Right-hand matrix B `[K, N]` packed for the micro-kernel: ceil(N/16) panels, each `[K][16]`
/// with zero padding past N, so the kernel streams 16 columns per k without bounds checks.
final class PackedMatrix: @unchecked Sendable {
    let k: Int
    let n: Int
    let panels: UnsafeMutablePointer<Float>
    var panelCount: Int { (n + 15) / 16 }

    /// Packs B given by `element(row, column)`.
    init(k: Int, n: Int, element: (Int, Int) -> Float) {
        self.k = k
        self.n = n
        let count = max(1, (n + 15) / 16) * 16 * k
        panels = allocateAligned(count: count)
        panels.initialize(repeating: 0, count: count)
        for panel in 0..<((n + 15) / 16) {
            for p in 0..<k {
                for j in 0..<16 where panel * 16 + j < n {
                    panels[(panel * k + p) * 16 + j] = element(p, panel * 16 + j)
                }
            }
        }
    }

    deinit { panels.deallocate() }
}

/// A tensor added to C before the activation (a skip connection): rows of `stride` floats, of
/// which the first `channels` are added to C's first columns and the rest of C gets nothing
/// (the residual of a block whose skip branch was zero-padded in channels).
struct Residual {
    let pointer: UnsafePointer<Float>
    let stride: Int
    let channels: Int

    /// The residual seen from C's element (`row`, `column`); nil when no column is left.
    func offset(row: Int, column: Int) -> Residual? {
        column < channels ? Residual(pointer: pointer + row * stride + column, stride: stride, channels: channels - column) : nil
    }
}

/// Rows a micro-kernel computes, fixed at compile time so that the unused accumulators vanish.
protocol TileRows { static var count: Int { get } }
enum SixRows: TileRows { static var count: Int { 6 } }
enum TwoRows: TileRows { static var count: Int { 2 } }

enum GEMM {
    /// Rows per micro-kernel call.
    static let rowsPerKernel = 6

    /// `c[m, 0..<n] = activation(a[m, 0..<k] · B + bias)` for `m` in `rows`, over the columns
    /// of `panels` (see `panelUnits`; nil: all of them).
    ///
    /// - a: row-major `[M, K]` with row stride `lda`.
    /// - b: packed `[K, N]`.
    /// - bias: `[N]` or nil.
    /// - c: row-major `[M, N]` with row stride `ldc`.
    /// - slopes: PReLU slopes per column `[N]`, applied after the residual, with `activation`
    ///   `.identity`; readable (zero-padded) up to the next multiple of 16 columns, since tiles
    ///   load them 8 at a time.
    @inline(__always)
    static func multiply(rows: Range<Int>, panels: Range<Int>? = nil, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                         bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, activation: Activation,
                         residual: Residual? = nil, slopes: UnsafePointer<Float>? = nil) {
        let units = panels ?? 0..<panelUnits(b)
        if let slopes {
            precondition(activation == .identity, "PReLU slopes replace the activation")
            return multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation,
                            residual: residual, slopes: slopes, PReluEpilogue.self)
        }
        // One dispatch per call to a copy with the epilogue compiled in.
        switch activation {
        case .identity: multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation, residual: residual, slopes: nil, IdentityEpilogue.self)
        case .relu: multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation, residual: residual, slopes: nil, ReluEpilogue.self)
        case .clip: multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation, residual: residual, slopes: nil, ClipEpilogue.self)
        case .silu: multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation, residual: residual, slopes: nil, SiluEpilogue.self)
        default: multiply(rows: rows, units: units, a: a, lda: lda, b: b, bias: bias, c: c, ldc: ldc, activation: activation, residual: residual, slopes: nil, GeneralEpilogue.self)
        }
    }

    /// Whether B's last full panel and a 1–8 column remainder go together through the 4×24
    /// kernel (N = 24, 36, 40, 72, 88, …): as 6×16 plus 6×8 the narrow tile's six accumulators
    /// and seven loads per six FMAs ran it well below the FMA units' rate.
    static func hasWidePair(_ b: PackedMatrix) -> Bool { b.n > 16 && (b.n - 1) % 16 < 8 }

    /// B's column panels as units of work that can be split between threads: one per 16-column
    /// panel, except that a wide pair (`hasWidePair`) is one unit.
    static func panelUnits(_ b: PackedMatrix) -> Int { hasWidePair(b) ? b.panelCount - 1 : b.panelCount }

    static func multiply<E: KernelEpilogue>(rows: Range<Int>, units: Range<Int>, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                                            bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, activation: Activation,
                                            residual: Residual?, slopes: UnsafePointer<Float>?, _ epilogue: E.Type) {
        let (lo, hi) = activation.clipBounds
        // Units map to panels one to one, but for the last one when it is the wide pair.
        let wide = hasWidePair(b) && units.upperBound == panelUnits(b)
        let narrowEnd = wide ? units.upperBound - 1 : units.upperBound
        func epilogueAt(row: Int, column: Int, columns: Int) -> Epilogue {
            Epilogue(c: c + row * ldc + column, ldc: ldc, columns: columns,
                     residual: residual?.offset(row: row, column: column), activation: activation, lo: lo, hi: hi,
                     slopes: slopes.map { $0 + column })
        }
        // Blocks of 12 rows: two 6-row calls per 16-wide panel, three 4-row calls per wide tile.
        var row = rows.lowerBound
        while row < rows.upperBound {
            let blockRows = min(2 * rowsPerKernel, rows.upperBound - row)
            for panel in units.lowerBound..<max(units.lowerBound, narrowEnd) {
                let column = panel * 16
                let columns = min(16, b.n - column)
                var first = row
                while first < row + blockRows {
                    let count = min(rowsPerKernel, row + blockRows - first)
                    let epilogue = epilogueAt(row: first, column: column, columns: columns)
                    if columns <= 8 {
                        // A last panel of at most 8 columns (N ≤ 8): half the FMAs of the 16-wide tile.
                        narrowMicroKernel(k: b.k, a: a + first * lda, lda: lda, rows: count,
                                          b: b.panels + panel * b.k * 16, bias: bias.map { $0 + column }, epilogue, E.self)
                    } else if count <= 2 {
                        microKernel(k: b.k, a: a + first * lda, lda: lda, rows: count,
                                    b: b.panels + panel * b.k * 16, bias: bias.map { $0 + column }, epilogue, E.self, TwoRows.self)
                    } else {
                        microKernel(k: b.k, a: a + first * lda, lda: lda, rows: count,
                                    b: b.panels + panel * b.k * 16, bias: bias.map { $0 + column }, epilogue, E.self, SixRows.self)
                    }
                    first += count
                }
            }
            if wide {
                let widePanel = b.panelCount - 2
                let column = widePanel * 16
                var first = row
                while first < row + blockRows {
                    let count = min(4, row + blockRows - first)
                    wideMicroKernel(k: b.k, a: a + first * lda, lda: lda, rows: count,
                                    b: b.panels + widePanel * b.k * 16, bias: bias.map { $0 + column },
                                    epilogueAt(row: first, column: column, columns: 16),
                                    epilogueAt(row: first, column: column + 16, columns: b.n - column - 16), E.self)
                    first += count
                }
            }
            row += blockRows
        }
    }

    /// Where and how a micro-kernel stores its tile: C at the tile's first element, the
    /// columns to store, an optional residual added before the activation.
    struct Epilogue {
        let c: UnsafeMutablePointer<Float>
        let ldc: Int
        let columns: Int
        let residual: Residual?
        let activation: Activation
        let lo: SIMD8<Float>, hi: SIMD8<Float>
        /// The PReLU slopes of the tile's first column (for `PReluEpilogue`), or nil.
        let slopes: UnsafePointer<Float>?
        /// The slopes of the tile's columns 8–15.
        var slopesHigh: UnsafePointer<Float>? { slopes.map { $0 + 8 } }

        /// Whether every row of the tile is stored whole (16 columns, and a residual, if any,
        /// over all of them): then `storeFull` applies, which makes no call.
        var isFullWidth: Bool { columns == 16 && (residual.map { $0.channels >= 16 } ?? true) }

        /// Stores tile row `row` (16 columns, of which `columns` are real).
        @inline(__always)
        func store<E: KernelEpilogue>(_ row: Int, _ rawLo: SIMD8<Float>, _ rawHi: SIMD8<Float>, _: E.Type) {
            if isFullWidth { storeFull(row, rawLo, rawHi, E.self) } else { storePartial(row, rawLo, rawHi, E.self) }
        }

        /// Stores tile row `row` of a full-width tile (`isFullWidth`).
        @inline(__always)
        func storeFull<E: KernelEpilogue>(_ row: Int, _ rawLo: SIMD8<Float>, _ rawHi: SIMD8<Float>, _: E.Type) {
            var sumLo = rawLo, sumHi = rawHi
            if let residual {
                let r = UnsafeRawPointer(residual.pointer + row * residual.stride)
                sumLo += r.loadUnaligned(as: SIMD8<Float>.self)
                sumHi += r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            }
            let out = UnsafeMutableRawPointer(c + row * ldc)
            out.storeBytes(of: E.apply(sumLo, lo, hi, activation, channels: slopes), as: SIMD8<Float>.self)
            out.storeBytes(of: E.apply(sumHi, lo, hi, activation, channels: slopesHigh), toByteOffset: 32, as: SIMD8<Float>.self)
        }

        /// A tile row with fewer than 16 real columns, or a residual over fewer than 16 of
        /// them (BlazeFace's blocks add an input with fewer channels). The vectors stay in
        /// registers: the residual is loaded lane by lane where partial, and the last
        /// `columns − 8` values are stored 4, 2 and 1 at a time. (Spilling the row to the stack
        /// and storing from there held a 64×64 24→28 1×1 convolution to half the rate of
        /// 24→24.)
        @inline(never)
        func storePartial<E: KernelEpilogue>(_ row: Int, _ rawLo: SIMD8<Float>, _ rawHi: SIMD8<Float>, _: E.Type) {
            var sumLo = rawLo, sumHi = rawHi
            if let residual {
                let r = residual.pointer + row * residual.stride
                let covered = min(columns, residual.channels)
                sumLo += Self.load(r, count: min(covered, 8))
                if covered > 8 { sumHi += Self.load(r + 8, count: covered - 8) }
            }
            let out = c + row * ldc
            Self.store(E.apply(sumLo, lo, hi, activation, channels: slopes), out, count: min(columns, 8))
            if columns > 8 { Self.store(E.apply(sumHi, lo, hi, activation, channels: slopesHigh), out + 8, count: columns - 8) }
        }

        /// Whether every row of a narrow tile is stored whole (8 columns, and a residual, if
        /// any, over all of them): then `storeNarrowFull` applies, which makes no call.
        var isFullNarrow: Bool { columns == 8 && (residual.map { $0.channels >= 8 } ?? true) }

        /// Stores row `row` of a narrow tile (`columns` ≤ 8), as `store`.
        @inline(__always)
        func storeNarrow<E: KernelEpilogue>(_ row: Int, _ raw: SIMD8<Float>, _: E.Type) {
            if isFullNarrow { storeNarrowFull(row, raw, E.self) } else { storeNarrowPartial(row, raw, E.self) }
        }

        /// Stores row `row` of a narrow tile that `isFullNarrow`.
        @inline(__always)
        func storeNarrowFull<E: KernelEpilogue>(_ row: Int, _ raw: SIMD8<Float>, _: E.Type) {
            var sum = raw
            if let residual { sum += UnsafeRawPointer(residual.pointer + row * residual.stride).loadUnaligned(as: SIMD8<Float>.self) }
            UnsafeMutableRawPointer(c + row * ldc).storeBytes(of: E.apply(sum, lo, hi, activation, channels: slopes), as: SIMD8<Float>.self)
        }

        @inline(never)
        func storeNarrowPartial<E: KernelEpilogue>(_ row: Int, _ raw: SIMD8<Float>, _: E.Type) {
            var sum = raw
            if let residual { sum += Self.load(residual.pointer + row * residual.stride, count: min(columns, residual.channels)) }
            Self.store(E.apply(sum, lo, hi, activation, channels: slopes), c + row * ldc, count: columns)
        }

        /// The first `count` (0…8) floats at `p`, zeros after them.
        @inline(__always)
        static func load(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
            if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
            var v = SIMD8<Float>()
            for j in 0..<count { v[j] = p[j] }
            return v
        }

        /// Stores the first `count` (1…8) lanes of `v` at `p` with at most three vector stores.
        @inline(__always)
        static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
            let raw = UnsafeMutableRawPointer(p)
            if count >= 8 { return raw.storeBytes(of: v, as: SIMD8<Float>.self) }
            var offset = 0
            var four = v.lowHalf
            if count & 4 != 0 {
                raw.storeBytes(of: four, as: SIMD4<Float>.self)
                four = v.highHalf
                offset = 16
            }
            var two = four.lowHalf
            if count & 2 != 0 {
                raw.storeBytes(of: two, toByteOffset: offset, as: SIMD2<Float>.self)
                two = four.highHalf
                offset += 8
            }
            if count & 1 != 0 { raw.storeBytes(of: two[0], toByteOffset: offset, as: Float.self) }
        }
    }

    /// 6×16 register tile: twelve 8-wide accumulators, one broadcast of A and two loads of B per k;
    /// bias initialises the accumulators and the activation is applied before the store.
    /// Rows past `rows` read row 0 (harmless) and are not stored. With `R` = `TwoRows` only the
    /// first two rows are computed (`rows` ≤ 2): the last row of a 7×7 map (49 = 8·6 + 1) cost
    /// a whole six-row call per panel, a tenth of such a layer.
    @inline(__always)
    static func microKernel<E: KernelEpilogue, R: TileRows>(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                                            bias: UnsafePointer<Float>?, _ epilogue: Epilogue, _: E.Type, _: R.Type = SixRows.self) {
        let columns = epilogue.columns
        let a0 = a
        let a1 = rows > 1 ? a + lda : a
        let a2 = rows > 2 ? a + 2 * lda : a
        let a3 = rows > 3 ? a + 3 * lda : a
        let a4 = rows > 4 ? a + 4 * lda : a
        let a5 = rows > 5 ? a + 5 * lda : a
        var bias0 = SIMD8<Float>(), bias1 = SIMD8<Float>()
        if let bias {
            if columns == 16 {
                bias0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
                bias1 = UnsafeRawPointer(bias + 8).loadUnaligned(as: SIMD8<Float>.self)
            } else {
                for j in 0..<columns { if j < 8 { bias0[j] = bias[j] } else { bias1[j - 8] = bias[j] } }
            }
        }
        var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1
        var c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
        let braw = UnsafeRawPointer(b)
        for p in 0..<k {
            let b0 = braw.loadUnaligned(fromByteOffset: p * 64, as: SIMD8<Float>.self)
            let b1 = braw.loadUnaligned(fromByteOffset: p * 64 + 32, as: SIMD8<Float>.self)
            var v = SIMD8<Float>(repeating: a0[p])
            c00.addProduct(v, b0); c01.addProduct(v, b1)
            if R.count > 1 {
                v = SIMD8<Float>(repeating: a1[p])
                c10.addProduct(v, b0); c11.addProduct(v, b1)
            }
            if R.count > 2 {
                v = SIMD8<Float>(repeating: a2[p])
                c20.addProduct(v, b0); c21.addProduct(v, b1)
                v = SIMD8<Float>(repeating: a3[p])
                c30.addProduct(v, b0); c31.addProduct(v, b1)
                v = SIMD8<Float>(repeating: a4[p])
                c40.addProduct(v, b0); c41.addProduct(v, b1)
                v = SIMD8<Float>(repeating: a5[p])
                c50.addProduct(v, b0); c51.addProduct(v, b1)
            }
        }
        // The fused activation runs on the accumulators, before the only store. Partial tiles
        // go out of line in one call that nothing follows: a call between the row stores made
        // the compiler spill all twelve accumulators to the stack first, on every tile, and
        // those spills slowed the next tile's loads by up to 60% depending on where the stack
        // fell (1×1 16→64 on 40×40: 0.040 to 0.063 ms from one process to the next).
        guard epilogue.isFullWidth else {
            return storePartialTile(epilogue, rows: R.count > 2 ? rows : min(rows, 2), c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, E.self)
        }
        epilogue.storeFull(0, c00, c01, E.self)
        if rows > 1 { epilogue.storeFull(1, c10, c11, E.self) }
        if R.count > 2 {
            if rows > 2 { epilogue.storeFull(2, c20, c21, E.self) }
            if rows > 3 { epilogue.storeFull(3, c30, c31, E.self) }
            if rows > 4 { epilogue.storeFull(4, c40, c41, E.self) }
            if rows > 5 { epilogue.storeFull(5, c50, c51, E.self) }
        }
    }

    /// The stores of a `microKernel` tile that is not `isFullWidth`.
    @inline(never)
    static func storePartialTile<E: KernelEpilogue>(_ epilogue: Epilogue, rows: Int, _ c00: SIMD8<Float>, _ c01: SIMD8<Float>,
                                                    _ c10: SIMD8<Float>, _ c11: SIMD8<Float>, _ c20: SIMD8<Float>, _ c21: SIMD8<Float>,
                                                    _ c30: SIMD8<Float>, _ c31: SIMD8<Float>, _ c40: SIMD8<Float>, _ c41: SIMD8<Float>,
                                                    _ c50: SIMD8<Float>, _ c51: SIMD8<Float>, _: E.Type) {
        epilogue.storePartial(0, c00, c01, E.self)
        if rows > 1 { epilogue.storePartial(1, c10, c11, E.self) }
        if rows > 2 { epilogue.storePartial(2, c20, c21, E.self) }
        if rows > 3 { epilogue.storePartial(3, c30, c31, E.self) }
        if rows > 4 { epilogue.storePartial(4, c40, c41, E.self) }
        if rows > 5 { epilogue.storePartial(5, c50, c51, E.self) }
    }

    /// 4×24 register tile over a full panel and the first 8 columns of the next (the last,
    /// with 1–8 real columns): twelve 8-wide accumulators, three loads of B and four
    /// broadcasts of A per k. `first` stores the 16 columns of the full panel, `rest` the
    /// remaining ones, as `microKernel` and `narrowMicroKernel` would.
    @inline(__always)
    static func wideMicroKernel<E: KernelEpilogue>(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                                   bias: UnsafePointer<Float>?, _ first: Epilogue, _ rest: Epilogue, _: E.Type) {
        let a0 = a
        let a1 = rows > 1 ? a + lda : a
        let a2 = rows > 2 ? a + 2 * lda : a
        let a3 = rows > 3 ? a + 3 * lda : a
        var bias0 = SIMD8<Float>(), bias1 = SIMD8<Float>(), bias2 = SIMD8<Float>()
        if let bias {
            bias0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
            bias1 = UnsafeRawPointer(bias + 8).loadUnaligned(as: SIMD8<Float>.self)
            if rest.columns == 8 {
                bias2 = UnsafeRawPointer(bias + 16).loadUnaligned(as: SIMD8<Float>.self)
            } else {
                for j in 0..<rest.columns { bias2[j] = bias[16 + j] }
            }
        }
        var c00 = bias0, c01 = bias1, c02 = bias2, c10 = bias0, c11 = bias1, c12 = bias2
        var c20 = bias0, c21 = bias1, c22 = bias2, c30 = bias0, c31 = bias1, c32 = bias2
        let full = UnsafeRawPointer(b), next = UnsafeRawPointer(b + k * 16)
        for p in 0..<k {
            let b0 = full.loadUnaligned(fromByteOffset: p * 64, as: SIMD8<Float>.self)
            let b1 = full.loadUnaligned(fromByteOffset: p * 64 + 32, as: SIMD8<Float>.self)
            let b2 = next.loadUnaligned(fromByteOffset: p * 64, as: SIMD8<Float>.self)
            var v = SIMD8<Float>(repeating: a0[p])
            c00.addProduct(v, b0); c01.addProduct(v, b1); c02.addProduct(v, b2)
            v = SIMD8<Float>(repeating: a1[p])
            c10.addProduct(v, b0); c11.addProduct(v, b1); c12.addProduct(v, b2)
            v = SIMD8<Float>(repeating: a2[p])
            c20.addProduct(v, b0); c21.addProduct(v, b1); c22.addProduct(v, b2)
            v = SIMD8<Float>(repeating: a3[p])
            c30.addProduct(v, b0); c31.addProduct(v, b1); c32.addProduct(v, b2)
        }
        // As in `microKernel`: partial stores (`rest` has 1–8 real columns) go out of line in
        // one call, so that the accumulators are not spilled to the stack first.
        if rest.isFullNarrow && first.isFullWidth {
            first.storeFull(0, c00, c01, E.self); rest.storeNarrowFull(0, c02, E.self)
            if rows > 1 { first.storeFull(1, c10, c11, E.self); rest.storeNarrowFull(1, c12, E.self) }
            if rows > 2 { first.storeFull(2, c20, c21, E.self); rest.storeNarrowFull(2, c22, E.self) }
            if rows > 3 { first.storeFull(3, c30, c31, E.self); rest.storeNarrowFull(3, c32, E.self) }
            return
        }
        storePartialWideTile(first, rest, rows: rows, c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32, E.self)
    }

    /// The stores of a `wideMicroKernel` tile with a partial part.
    @inline(never)
    static func storePartialWideTile<E: KernelEpilogue>(_ first: Epilogue, _ rest: Epilogue, rows: Int,
                                                        _ c00: SIMD8<Float>, _ c01: SIMD8<Float>, _ c02: SIMD8<Float>,
                                                        _ c10: SIMD8<Float>, _ c11: SIMD8<Float>, _ c12: SIMD8<Float>,
                                                        _ c20: SIMD8<Float>, _ c21: SIMD8<Float>, _ c22: SIMD8<Float>,
                                                        _ c30: SIMD8<Float>, _ c31: SIMD8<Float>, _ c32: SIMD8<Float>, _: E.Type) {
        first.store(0, c00, c01, E.self); rest.storeNarrow(0, c02, E.self)
        if rows > 1 { first.store(1, c10, c11, E.self); rest.storeNarrow(1, c12, E.self) }
        if rows > 2 { first.store(2, c20, c21, E.self); rest.storeNarrow(2, c22, E.self) }
        if rows > 3 { first.store(3, c30, c31, E.self); rest.storeNarrow(3, c32, E.self) }
    }

    /// 6×8 register tile for a panel's first 8 columns (of which `columns` ≤ 8 are stored);
    /// otherwise as `microKernel`.
    @inline(__always)
    static func narrowMicroKernel<E: KernelEpilogue>(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                                     bias: UnsafePointer<Float>?, _ epilogue: Epilogue, _: E.Type) {
        let columns = epilogue.columns
        let a0 = a
        let a1 = rows > 1 ? a + lda : a
        let a2 = rows > 2 ? a + 2 * lda : a
        let a3 = rows > 3 ? a + 3 * lda : a
        let a4 = rows > 4 ? a + 4 * lda : a
        let a5 = rows > 5 ? a + 5 * lda : a
        var bias0 = SIMD8<Float>()
        if let bias {
            if columns == 8 { bias0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self) } else { for j in 0..<columns { bias0[j] = bias[j] } }
        }
        var c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0, c4 = bias0, c5 = bias0
        let braw = UnsafeRawPointer(b)
        for p in 0..<k {
            let b0 = braw.loadUnaligned(fromByteOffset: p * 64, as: SIMD8<Float>.self)
            c0.addProduct(SIMD8<Float>(repeating: a0[p]), b0)
            c1.addProduct(SIMD8<Float>(repeating: a1[p]), b0)
            c2.addProduct(SIMD8<Float>(repeating: a2[p]), b0)
            c3.addProduct(SIMD8<Float>(repeating: a3[p]), b0)
            c4.addProduct(SIMD8<Float>(repeating: a4[p]), b0)
            c5.addProduct(SIMD8<Float>(repeating: a5[p]), b0)
        }
        guard epilogue.isFullNarrow else { return storePartialNarrowTile(epilogue, rows: rows, c0, c1, c2, c3, c4, c5, E.self) }
        epilogue.storeNarrowFull(0, c0, E.self)
        if rows > 1 { epilogue.storeNarrowFull(1, c1, E.self) }
        if rows > 2 { epilogue.storeNarrowFull(2, c2, E.self) }
        if rows > 3 { epilogue.storeNarrowFull(3, c3, E.self) }
        if rows > 4 { epilogue.storeNarrowFull(4, c4, E.self) }
        if rows > 5 { epilogue.storeNarrowFull(5, c5, E.self) }
    }

    /// The stores of a `narrowMicroKernel` tile that is not `isFullNarrow`.
    @inline(never)
    static func storePartialNarrowTile<E: KernelEpilogue>(_ epilogue: Epilogue, rows: Int, _ c0: SIMD8<Float>, _ c1: SIMD8<Float>,
                                                          _ c2: SIMD8<Float>, _ c3: SIMD8<Float>, _ c4: SIMD8<Float>, _ c5: SIMD8<Float>,
                                                          _: E.Type) {
        epilogue.storeNarrowPartial(0, c0, E.self)
        if rows > 1 { epilogue.storeNarrowPartial(1, c1, E.self) }
        if rows > 2 { epilogue.storeNarrowPartial(2, c2, E.self) }
        if rows > 3 { epilogue.storeNarrowPartial(3, c3, E.self) }
        if rows > 4 { epilogue.storeNarrowPartial(4, c4, E.self) }
        if rows > 5 { epilogue.storeNarrowPartial(5, c5, E.self) }
    }
}
