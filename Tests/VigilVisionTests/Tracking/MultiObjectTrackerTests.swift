import XCTest
@testable import VigilVision

final class MultiObjectTrackerTests: XCTestCase {
    func detection(_ box: Box, score: Float = 0.9, classIndex: Int = 0) -> Detection {
        Detection(label: "class\(classIndex)", classIndex: classIndex, score: score, box: box)
    }

    func box(_ cx: Float, _ cy: Float, _ w: Float = 60, _ h: Float = 120) -> Box {
        Box(centerX: cx, centerY: cy, width: w, height: h)
    }

    /// Ground-truth id → the track ids reported for it, frame by frame; counts switches
    /// (a ground-truth object reported under a different id than the last time).
    struct IdentityLog {
        var last: [Int: Int] = [:]
        var switches = 0
        var idsPerObject: [Int: Set<Int>] = [:]

        mutating func record(truth: Int, track: Int) {
            if let previous = last[truth], previous != track { switches += 1 }
            last[truth] = track
            idsPerObject[truth, default: []].insert(track)
        }
    }

    func testKeepsEveryIdentityInABusySyntheticScene() {
        var scene = SyntheticScene(objects: 30, maxSpeed: 250, jitter: 0.03, seed: 11)
        var tracker = MultiObjectTracker()
        var log = IdentityLog()
        var reported = 0
        for f in 0..<300 {
            let detections = scene.detections()
            let objects = tracker.update(detections: detections, at: Double(f) / 30)
            reported += objects.count
            for o in objects { log.record(truth: scene.objects[o.detectionIndex].id, track: o.id) }
            scene.advance()
        }
        XCTAssertGreaterThan(reported, 30 * 295, "almost every object reported in almost every frame")
        XCTAssertLessThanOrEqual(log.switches, 3, "identity switches")
        XCTAssertLessThanOrEqual(tracker.identitiesIssued, 33)
    }

    func testCrossingObjectsKeepTheirIdentities() {
        var tracker = MultiObjectTracker()
        var log = IdentityLog()
        // A walks right, B walks left, their boxes overlap heavily (IoU up to ~0.6) while they cross.
        for f in 0..<90 {
            let t = Float(f)
            let a = box(100 + 6 * t, 300), b = box(640 - 6 * t, 310)
            let objects = tracker.update(detections: [detection(a), detection(b, score: 0.8)], at: Double(f) / 30)
            for o in objects { log.record(truth: o.detectionIndex, track: o.id) }
        }
        XCTAssertEqual(log.switches, 0)
        XCTAssertEqual(tracker.identitiesIssued, 2)
    }

    func testReidentifiesAfterAShortOcclusionButNotAfterALongOne() {
        var tracker = MultiObjectTracker()
        var ids: [Int] = []
        // Moving at 90 px/s; unseen for frames 20..<35 (0.5 s): the coasting prediction finds it again.
        for f in 0..<60 {
            let visible = !(20..<35).contains(f)
            let objects = tracker.update(detections: visible ? [detection(box(100 + 3 * Float(f), 200))] : [], at: Double(f) / 30)
            ids += objects.map(\.id)
        }
        XCTAssertEqual(Set(ids), [1])
        XCTAssertEqual(ids.count, 45)

        // Gone for 3 s (longer than maxLostDuration): a new identity.
        for f in 150..<155 { _ = tracker.update(detections: [], at: Double(f) / 30) }
        var late: [Int] = []
        for f in 155..<160 { late += tracker.update(detections: [detection(box(460, 200))], at: Double(f) / 30).map(\.id) }
        XCTAssertEqual(Set(late), [2])
    }

    func testReidentifiesAnObjectWhoseBoxShrankBeforeItWasLost() {
        // An object walking away: its box shrinks for a second, then it goes
        // undetected for 1 s and comes back at its last size where its motion predicts. With
        // the size trend extrapolated over the gap, the lost track's box would have shrunk to
        // a sliver and the object would get a new id.
        func run(holdSize: Bool) -> Set<Int> {
            var configuration = TrackerConfiguration()
            configuration.holdSizeWhileLost = holdSize
            var tracker = MultiObjectTracker(configuration: configuration)
            var ids = Set<Int>()
            for f in 0..<80 {
                guard f < 30 || f >= 60 else { _ = tracker.update(detections: [], at: Double(f) / 30); continue }
                let height = 180 - 3 * Float(min(29, f))
                let b = box(1600 - Float(f) * 10, 500, 0.5 * height, height)
                for o in tracker.update(detections: [detection(b)], at: Double(f) / 30) { ids.insert(o.id) }
            }
            return ids
        }
        XCTAssertEqual(run(holdSize: true).count, 1)
        XCTAssertEqual(run(holdSize: false).count, 2, "the scenario does depend on holding the size")
    }

    func testReidentifiesAnObjectThatSlowedDownWhileHidden() {
        // Walking right at 6 px/frame, hidden for frames 30..<52, slowing to 4 px/frame meanwhile:
        // it comes back 44 px behind where its track predicts (60 px wide boxes, IoU·score under
        // the 0.2 gate) and 88 px past its last observation (no overlap at all). Only the buffered
        // overlap of a lost track connects them.
        func run(lostBuffer: Float) -> Set<Int> {
            var configuration = TrackerConfiguration()
            configuration.lostBuffer = lostBuffer
            var tracker = MultiObjectTracker(configuration: configuration)
            var ids = Set<Int>()
            for f in 0..<60 {
                guard f < 30 || f >= 52 else { _ = tracker.update(detections: [], at: Double(f) / 30); continue }
                let x = f < 30 ? 100 + 6 * Float(f) : 100 + 6 * 30 + 4 * Float(f - 30)
                for o in tracker.update(detections: [detection(box(x, 300))], at: Double(f) / 30) { ids.insert(o.id) }
            }
            return ids
        }
        XCTAssertEqual(run(lostBuffer: TrackerConfiguration().lostBuffer).count, 1)
        XCTAssertEqual(run(lostBuffer: 0).count, 2, "the scenario does depend on the buffer")
    }

    func testLowScoreDetectionsContinueTracksButNeverStartThem() {
        var tracker = MultiObjectTracker()
        var ids: [Int] = []
        for f in 0..<40 {
            // Object 1's score drops to 0.3 (partly occluded) in frames 10..<30; a 0.3 object sits elsewhere throughout.
            let score: Float = (10..<30).contains(f) ? 0.3 : 0.9
            let objects = tracker.update(detections: [detection(box(200 + 2 * Float(f), 200), score: score),
                                                      detection(box(900, 500), score: 0.3)], at: Double(f) / 30)
            ids += objects.map(\.id)
        }
        XCTAssertEqual(ids, [Int](repeating: 1, count: 40))
    }

    func testNewTracksAreConfirmedOnTheirSecondHitAndClassesDoNotMix() {
        var tracker = MultiObjectTracker()
        XCTAssertEqual(tracker.update(detections: [detection(box(100, 100))], at: 0).map(\.id), [1], "first frame: at once")
        // A class-1 object appears exactly on top of the class-0 one; the class-0 detection vanishes.
        XCTAssertEqual(tracker.update(detections: [detection(box(100, 100), classIndex: 1)], at: 1.0 / 30).count, 0, "tentative")
        let third = tracker.update(detections: [detection(box(100, 100), classIndex: 1)], at: 2.0 / 30)
        XCTAssertEqual(third.map(\.id), [2])
        XCTAssertEqual(third.first?.label, "class1")
    }

    func testReportsVelocityAndForecastsToTheEmissionTime() throws {
        var tracker = MultiObjectTracker()
        var last: TrackedObject?
        for f in 0..<30 {
            last = tracker.update(detections: [detection(box(100 + 10 * Float(f), 200))], at: Double(f) / 30).first
        }
        let object = try XCTUnwrap(last)
        XCTAssertEqual(object.velocity.x, 300, accuracy: 10)
        XCTAssertEqual(object.velocity.y, 0, accuracy: 5)
        let now = 29.0 / 30, later = now + 0.1
        XCTAssertEqual(object.box(at: later).centerX, 100 + 10 * 29 + 30, accuracy: 2, "100 ms at 300 px/s is 30 px")
        XCTAssertEqual(object.box(at: now).centerX, object.box.centerX, accuracy: 1e-3)
    }

    func testDegenerateInputNeverCrashes() {
        var tracker = MultiObjectTracker()
        let nan = Float.nan, inf = Float.infinity
        let junk = [
            detection(Box(x1: 10, y1: 10, x2: 10, y2: 10)),               // zero area
            detection(Box(x1: 10, y1: 10, x2: 5, y2: 5)),                 // inverted
            detection(Box(x1: nan, y1: 0, x2: 10, y2: 10)),
            detection(Box(x1: 0, y1: 0, x2: inf, y2: 10)),
            detection(box(100, 100), score: nan),
            detection(box(100, 100), score: inf),
            detection(box(300, 300), score: -1),
            detection(Box(x1: -1e30, y1: -1e30, x2: 1e30, y2: 1e30)),
        ]
        for f in 0..<5 { _ = tracker.update(detections: junk, at: Double(f) / 30) }
        _ = tracker.update(detections: junk, at: .nan)
        _ = tracker.update(detections: junk, at: -5)  // backwards in time
        _ = tracker.update(detections: [], at: .infinity)
        XCTAssertLessThanOrEqual(tracker.trackCount, 2, "only the finite, non-empty boxes can make tracks")
    }

    func testThousandsOfDetectionsInOneFrame() {
        var tracker = MultiObjectTracker()
        var scene = SyntheticScene(objects: 3000, jitter: 0.05, seed: 5)
        var reported = 0
        for f in 0..<3 {
            let objects = tracker.update(detections: scene.detections(), at: Double(f) / 30)
            reported = objects.count
            XCTAssertTrue(objects.allSatisfy { $0.box.isFinite })
            XCTAssertEqual(Set(objects.map(\.id)).count, objects.count, "ids unique within a frame")
            scene.advance()
        }
        XCTAssertGreaterThan(reported, 0)
        XCTAssertLessThanOrEqual(tracker.trackCount, TrackerConfiguration().maxDetectionsPerFrame * 2)
    }

    /// An object runs right at 300 px/s, is hidden for 10 frames during which it stopped, and
    /// reappears where it was last seen: the coasting prediction is 100 px away, the last
    /// observation is not.
    func testRecoversAStoppedObjectByItsLastObservation() {
        func run(recovery: Bool) -> Set<Int> {
            var configuration = TrackerConfiguration()
            configuration.observationRecovery = recovery
            var tracker = MultiObjectTracker(configuration: configuration)
            var ids = Set<Int>()
            for f in 0..<20 { ids.formUnion(tracker.update(detections: [detection(box(100 + 10 * Float(f), 300))], at: Double(f) / 30).map(\.id)) }
            for f in 20..<30 { _ = tracker.update(detections: [], at: Double(f) / 30) }
            for f in 30..<40 { ids.formUnion(tracker.update(detections: [detection(box(290, 300))], at: Double(f) / 30).map(\.id)) }
            return ids
        }
        XCTAssertEqual(run(recovery: true), [1])
        XCTAssertEqual(run(recovery: false), [1, 2], "without recovery the object gets a new identity (the test can fail)")
    }
}
