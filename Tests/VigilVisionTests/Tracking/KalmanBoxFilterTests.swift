import VigilEngine
import XCTest
@testable import VigilVision

final class KalmanBoxFilterTests: XCTestCase {
    func testLearnsAConstantVelocityAndForecastsIt() {
        // 120 px/s right, 60 px/s down, growing 6 px/s, observed at 30 fps without noise.
        func truth(_ t: Double) -> Box {
            Box(centerX: Float(100 + 120 * t), centerY: Float(200 + 60 * t), width: Float(50 + 6 * t), height: Float(100 + 12 * t))
        }
        var filter = KalmanBoxFilter(box: truth(0), at: 0)
        for f in 1...60 {
            let t = Double(f) / 30
            filter.predict(to: t)
            filter.update(with: truth(t))
        }
        XCTAssertEqual(filter.velocity.x, 120, accuracy: 2)
        XCTAssertEqual(filter.velocity.y, 60, accuracy: 2)
        let ahead = filter.box(at: 2 + 0.133)
        let expected = truth(2.133)
        XCTAssertGreaterThan(ahead.iou(expected), 0.97, "\(ahead) vs \(expected)")
        XCTAssertEqual(filter.time, 2, accuracy: 1e-12, "forecasting does not move the state")
        let forecast = filter.forecastBox(at: 2 + 0.133)
        XCTAssertGreaterThan(forecast.iou(expected), 0.97, "a velocity learned from clean boxes is trusted: \(forecast) vs \(expected)")
    }

    /// An object standing still, seen through detections twice as jittery as the noise model
    /// assumes (10% of the height): plain extrapolation moves the box along velocities that are
    /// jitter, the forecast learns from its innovations that they are and stays nearer the truth.
    func testForecastDistrustsVelocitiesMadeOfJitter() {
        var generator = SeededGenerator(seed: 5)
        func gaussian() -> Float {
            let u = Float.random(in: Float.ulpOfOne..<1, using: &generator), v = Float.random(in: 0..<1, using: &generator)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let truth = Box(centerX: 500, centerY: 400, width: 50, height: 100)
        var extrapolated = 0.0, forecast = 0.0, ratio = SIMD4<Double>(repeating: 0)
        let trials = 200
        for _ in 0..<trials {
            var filter = KalmanBoxFilter(box: truth, at: 0)
            for f in 1...45 {
                let t = Double(f) / 30
                filter.predict(to: t)
                filter.update(with: Box(centerX: truth.centerX + 10 * gaussian(), centerY: truth.centerY + 10 * gaussian(),
                                        width: truth.width + 10 * gaussian(), height: truth.height + 10 * gaussian()))
            }
            let target = 1.5 + 0.133
            func error(_ b: Box) -> Double { Double(hypot(b.centerX - truth.centerX, b.centerY - truth.centerY)) }
            extrapolated += error(filter.box(at: target)) - error(filter.box)
            forecast += error(filter.forecastBox(at: target)) - error(filter.box)
            ratio += filter.innovationRatio / Double(trials)
        }
        XCTAssertGreaterThan(ratio[1], 1.5, "innovations larger than the model predicts: \(ratio)")
        XCTAssertGreaterThan(extrapolated, 0, "extrapolating jitter moves the box away from the truth")
        XCTAssertLessThan(forecast, extrapolated * 0.5, "forecast error added \(forecast / Double(trials)) px, extrapolation \(extrapolated / Double(trials)) px")
    }

    func testHoldSizeKeepsTheBoxSizeButNotThePositionTrend() {
        // Moving right at 300 px/s while the height shrinks 60 px/s (an object leaving through
        // the frame's edge), then predicted one second ahead with and without holding the size.
        var filter = KalmanBoxFilter(box: Box(centerX: 100, centerY: 50, width: 50, height: 100), at: 0)
        for f in 1...20 {
            let t = Double(f) / 30
            filter.predict(to: t)
            filter.update(with: Box(centerX: Float(100 + 300 * t), centerY: 50, width: 50, height: Float(100 - 60 * t)))
        }
        let start = filter.box
        var free = filter, held = filter
        free.predict(to: 20.0 / 30 + 1)
        held.predict(to: 20.0 / 30 + 1, holdSize: true)
        XCTAssertLessThan(free.box.height, start.height - 40, "the size trend extrapolated")
        XCTAssertEqual(held.box.height, start.height, accuracy: 1e-3)
        XCTAssertEqual(held.box.width, start.width, accuracy: 1e-3)
        XCTAssertEqual(held.box.centerX, start.centerX + 300, accuracy: 15, "position still follows its velocity")
    }

    func testIrregularTimeStepsAndDroppedFrames() {
        var filter = KalmanBoxFilter(box: Box(centerX: 0, centerY: 0, width: 40, height: 40), at: 0)
        var t = 0.0
        for step in [0.033, 0.1, 0.033, 0.2, 0.05, 0.033, 0.033, 0.3, 0.033, 0.033] {
            t += step
            filter.predict(to: t)
            filter.update(with: Box(centerX: Float(200 * t), centerY: 0, width: 40, height: 40))
        }
        XCTAssertEqual(filter.velocity.x, 200, accuracy: 15)
        filter.predict(to: t - 1)  // never backwards
        XCTAssertEqual(filter.time, t)
    }

    func testDegenerateBoxesKeepTheStateFinite() {
        var filter = KalmanBoxFilter(box: Box(x1: 5, y1: 5, x2: 5, y2: 5), at: 0)
        filter.predict(to: 1 / 30)
        filter.update(with: Box(x1: 5, y1: 5, x2: 5, y2: 5))
        filter.update(with: Box(x1: 5, y1: 5, x2: 6, y2: 6), confidence: .nan)
        filter.update(with: Box(x1: 5, y1: 5, x2: 6, y2: 6), confidence: 1)
        XCTAssertTrue(filter.box.isFinite)
        XCTAssertGreaterThanOrEqual(filter.box.width, 1)
        filter.predict(to: .infinity)
        XCTAssertTrue(filter.box.isFinite)
    }

    /// The aspect-ratio shape (ByteTrack's) barely changes on one sloppy detection; the
    /// width-height shape (BoT-SORT's, the default) follows it like any coordinate.
    func testAspectRatioShapeResistsOneSloppyDetection() {
        func widthAfterSloppyUpdate(_ shape: KalmanBoxFilter.Shape) -> Float {
            var noise = KalmanBoxFilter.Noise()
            noise.shape = shape
            var filter = KalmanBoxFilter(box: Box(centerX: 0, centerY: 0, width: 50, height: 100), at: 0, noise: noise)
            for f in 1...30 { filter.predict(to: Double(f) / 30); filter.update(with: Box(centerX: 0, centerY: 0, width: 50, height: 100)) }
            filter.predict(to: 31.0 / 30)
            filter.update(with: Box(centerX: 0, centerY: 0, width: 100, height: 100))
            return filter.box.width
        }
        XCTAssertEqual(widthAfterSloppyUpdate(.aspectRatio), 50, accuracy: 5)
        XCTAssertGreaterThan(widthAfterSloppyUpdate(.widthHeight), 60)
    }
}
