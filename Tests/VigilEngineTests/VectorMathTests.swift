import Foundation
import XCTest
@testable import VigilEngine

/// The vectorised exp, sigmoid and SiLU behind every exp-based activation and softmax, against
/// libm over the whole range they see, including inputs that overflow or underflow.
final class VectorMathTests: XCTestCase {
    /// Every 1/64 from -100 to 100, plus the clamping ends.
    private var samples: [Float] {
        (-6400...6400).map { Float($0) / 64 } + [-1e30, -90, -87.3, 88.3, 90, 1e30]
    }

    /// The largest `error(x, f(x))` over the samples, computed 8 lanes at a time by `f`.
    private func worstError(of f: (SIMD8<Float>) -> SIMD8<Float>, _ error: (Float, Float) -> Double) -> Double {
        let xs = samples
        var worst: Double = 0
        var start = 0
        while start < xs.count {
            var v = SIMD8<Float>(repeating: 0)
            for lane in 0..<8 { v[lane] = xs[min(start + lane, xs.count - 1)] }
            let y = f(v)
            for lane in 0..<8 { worst = max(worst, error(v[lane], y[lane])) }
            start += 8
        }
        return worst
    }

    func testExpRelativeError() {
        let worst = worstError(of: VectorMath.exp) { x, e in
            XCTAssert(e.isFinite && e > 0, "exp(\(x)) = \(e)")
            // Inside the clamp the result must match libm; outside it, the clamp ends.
            let reference = Foundation.exp(Double(min(max(x, -87.3), 88.3)))
            return abs(Double(e) - reference) / reference
        }
        XCTAssertLessThan(worst, 5e-7)
    }

    func testSigmoidAbsoluteError() {
        let worst = worstError(of: VectorMath.sigmoid) { x, s in
            XCTAssert(s >= 0 && s <= 1, "sigmoid(\(x)) = \(s)")
            return abs(Double(s) - 1 / (1 + Foundation.exp(-Double(x))))
        }
        XCTAssertLessThan(worst, 2e-7)
    }

    /// Absolute error below 1, relative to |x| above (SiLU grows like x).
    func testSiluError() {
        let worst = worstError(of: VectorMath.silu) { x, s in
            let reference = Double(x) / (1 + Foundation.exp(-Double(x)))
            return abs(Double(s) - reference) / max(1, abs(Double(x)))
        }
        XCTAssertLessThan(worst, 4e-7)
    }
}
