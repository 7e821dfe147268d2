/// A constant-velocity Kalman filter on a box's centre x, centre y, width and height, in
/// pixels and pixels per second, with time steps of any length (frames may be dropped or
/// arrive irregularly from a live stream).
///
/// The model is the usual tracking one (SORT/ByteTrack's, on width and height rather than
/// aspect ratio as in BoT-SORT): each coordinate moves with its own velocity, process and
/// measurement noise are diagonal and proportional to the box size. With a diagonal initial
/// covariance, the 8×8 covariance then stays block-diagonal: four independent 2×2 blocks
/// (position, velocity) of one coordinate each. The filter keeps exactly those blocks, which
/// is the full filter, not an approximation, at a fraction of the cost.
public struct KalmanBoxFilter: Sendable, Equatable {
    /// Noise scales, as fractions of the box size, per frame interval of the nominal rate.
    public struct Noise: Sendable, Equatable {
        /// Standard deviation of the position random walk per nominal frame (×size).
        public var position: Float = 1.0 / 20
        /// Standard deviation of the velocity random walk per nominal frame (×size per frame).
        public var velocity: Float = 1.0 / 160
        /// Standard deviation of a detection's coordinates (×size).
        public var measurement: Float = 1.0 / 20
        /// The frame interval the scales above refer to, in seconds.
        public var nominalInterval: Double = 1.0 / 30

        public init() {}
    }

    /// One coordinate: position, velocity (per second) and their 2×2 covariance.
    struct Axis: Sendable, Equatable {
        var position: Double, velocity: Double
        var pp: Double, pv: Double, vv: Double
    }

    /// cx, cy, w, h.
    var axes: (Axis, Axis, Axis, Axis)
    /// The time the state describes, in seconds.
    public private(set) var time: Double
    public let noise: Noise

    /// Starts a track on its first detection, at rest, with a wide velocity prior.
    public init(box: Box, at time: Double, noise: Noise = Noise()) {
        self.noise = noise
        self.time = time
        let T = noise.nominalInterval
        func axis(_ value: Float, size: Float) -> Axis {
            let sp = Double(2 * noise.position * size), sv = Double(10 * noise.velocity * size) / T
            return Axis(position: Double(value), velocity: 0, pp: sp * sp, pv: 0, vv: sv * sv)
        }
        let w = max(box.width, 1), h = max(box.height, 1)
        axes = (axis(box.centerX, size: w), axis(box.centerY, size: h), axis(box.width, size: w), axis(box.height, size: h))
    }

    /// The state's box (at `time`).
    public var box: Box {
        Box(centerX: Float(axes.0.position), centerY: Float(axes.1.position),
            width: Float(max(axes.2.position, 1)), height: Float(max(axes.3.position, 1)))
    }

    /// Velocity of the centre in pixels per second.
    public var velocity: (x: Float, y: Float) { (Float(axes.0.velocity), Float(axes.1.velocity)) }

    /// The box extrapolated to `time` along the current velocities, without changing the state
    /// (latency forecasting: where the object is when the result is delivered).
    public func box(at target: Double) -> Box {
        let dt = target - time
        let w = max(axes.2.position + axes.2.velocity * dt, 1), h = max(axes.3.position + axes.3.velocity * dt, 1)
        return Box(centerX: Float(axes.0.position + axes.0.velocity * dt), centerY: Float(axes.1.position + axes.1.velocity * dt),
                   width: Float(w), height: Float(h))
    }

    /// Advances the state to `target` (no-op for a time at or before the state's).
    public mutating func predict(to target: Double) {
        let dt = target - time
        guard dt > 0, dt.isFinite else { return }
        let T = noise.nominalInterval, steps = dt / T
        let w = max(axes.2.position, 1), h = max(axes.3.position, 1)
        func step(_ a: inout Axis, size: Double) {
            let qp = Double(noise.position) * size, qv = Double(noise.velocity) * size / T
            a.position += a.velocity * dt
            a.pp += 2 * dt * a.pv + dt * dt * a.vv + qp * qp * steps
            a.pv += dt * a.vv
            a.vv += qv * qv * steps
        }
        step(&axes.0, size: w); step(&axes.1, size: h); step(&axes.2, size: w); step(&axes.3, size: h)
        time = target
    }

    /// Folds in a detection observed at the state's time (call `predict(to:)` first).
    /// - Parameter confidence: in [0, 1]; nil keeps the nominal measurement noise. A confident
    ///   detection is trusted more (NSA Kalman, GIAOTracker): noise × (1 − confidence), floored.
    public mutating func update(with box: Box, confidence: Float? = nil) {
        let w = Double(max(box.width, 1)), h = Double(max(box.height, 1))
        var scale = 1.0
        if let confidence, confidence.isFinite { scale = max(1 - Double(min(max(confidence, 0), 1)), 0.1) }
        func correct(_ a: inout Axis, _ z: Float, size: Double) {
            let sr = Double(noise.measurement) * size
            let s = a.pp + sr * sr * scale
            let kp = a.pp / s, kv = a.pv / s
            let residual = Double(z) - a.position
            a.position += kp * residual
            a.velocity += kv * residual
            let pp = a.pp, pv = a.pv
            a.pp = (1 - kp) * pp
            a.pv = (1 - kp) * pv
            a.vv -= kv * pv
        }
        correct(&axes.0, box.centerX, size: w); correct(&axes.1, box.centerY, size: h)
        correct(&axes.2, box.width, size: w); correct(&axes.3, box.height, size: h)
    }

    public static func == (a: KalmanBoxFilter, b: KalmanBoxFilter) -> Bool {
        a.time == b.time && a.noise == b.noise && a.axes.0 == b.axes.0 && a.axes.1 == b.axes.1 && a.axes.2 == b.axes.2 && a.axes.3 == b.axes.3
    }
}
