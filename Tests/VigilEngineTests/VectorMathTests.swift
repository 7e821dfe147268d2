import Foundation
import XCTest
@testable import VigilEngine

/// The vectorised exp and sigmoid behind every exp-based activation and softmax, against libm
/// over the whole range they see, including inputs that overflow or underflow.
final class VectorMathTests: XCTestCase {
    /// Every 1/64 from -100 to 100, plus the clamping ends.
    private var samples: [Float] {
        (-6400...6400).map { Float($0) / 64 } + [-1e30, -90, -87.3, 88.3, 90, 1e30]
    }

    private func eachVector(_ body: (SIMD8<Float>, Int) -> Void) {
        let xs = samples
        var start = 0
        while start < xs.count {
            var v = SIMD8<Float>(repeating: 0)
            for lane in 0..<8 { v[lane] = xs[min(start + lane, xs.count - 1)] }
            body(v, start)
            start += 8
        }
    }

    func testExpRelativeError() {
        var worst: Float = 0
        eachVector { v, _ in
            let e = VectorMath.exp(v)
            for lane in 0..<8 {
                // Inside the clamp the result must match libm; outside it, the clamp ends.
                let x = min(max(v[lane], -87.3), 88.3)
                let reference = Foundation.exp(Double(x))
                let error = abs(Double(e[lane]) - reference) / reference
                worst = max(worst, Float(error))
                XCTAssert(e[lane].isFinite && e[lane] > 0, "exp(\(v[lane])) = \(e[lane])")
            }
        }
        XCTAssertLessThan(worst, 5e-7)
    }

    func testSigmoidAbsoluteError() {
        var worst: Double = 0
        eachVector { v, _ in
            let s = VectorMath.sigmoid(v)
            for lane in 0..<8 {
                let reference = 1 / (1 + Foundation.exp(-Double(v[lane])))
                worst = max(worst, abs(Double(s[lane]) - reference))
                XCTAssert(s[lane] >= 0 && s[lane] <= 1, "sigmoid(\(v[lane])) = \(s[lane])")
            }
        }
        XCTAssertLessThan(worst, 2e-7)
    }

    func testSiluError() {
        var worst: Double = 0
        eachVector { v, _ in
            let s = VectorMath.silu(v)
            for lane in 0..<8 {
                let x = Double(v[lane])
                let reference = x / (1 + Foundation.exp(-x))
                worst = max(worst, abs(Double(s[lane]) - reference) / max(1, abs(x)))
            }
        }
        XCTAssertLessThan(worst, 4e-7)
    }
}
