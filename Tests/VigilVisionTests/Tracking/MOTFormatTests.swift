import XCTest
@testable import VigilVision

final class MOTFormatTests: XCTestCase {
    func testParsesDetectionsAndGroundTruthRows() throws {
        let rows = try MOTFormat.parse("""
            # comment
            1,-1,10,20,30,40,0.9,-1,-1,-1
            1,-1,100,20,30,40,0.4
            3,7,5.5,6.5,10,20,1,2,0.8

            """)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0].box, Box(x1: 10, y1: 20, x2: 40, y2: 60))
        XCTAssertEqual(rows[0].classIndex, 0)
        XCTAssertEqual(rows[2].id, 7)
        XCTAssertEqual(rows[2].classIndex, 2)
        let frames = MOTFormat.detectionsByFrame(rows)
        XCTAssertEqual(frames.map(\.count), [2, 0, 1], "frame 2 has no rows but is still a frame")
    }

    func testMalformedRowsNameTheLine() {
        for (text, fragment) in [("1,-1,10,20,30", "columns"), ("1,-1,x,20,30,40,1", "column 3"), ("0,-1,1,2,3,4,1", "frame"),
                                 ("2.5,-1,1,2,3,4,1", "frame"), ("1,-1,1,2,-3,4,1", "negative")] {
            XCTAssertThrowsError(try MOTFormat.parse("1,-1,1,1,1,1,1\n" + text, path: "det.txt")) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("det.txt:2") && message.contains(fragment), message)
            }
        }
    }

    func testFormatRoundTrips() throws {
        let line = MOTFormat.format(frame: 4, id: 2, box: Box(x1: 1.5, y1: 2, x2: 11.5, y2: 22), score: 0.75)
        XCTAssertEqual(line, "4,2,1.50,2.00,10.00,20.00,0.7500,-1,-1,-1")
        let row = try XCTUnwrap(MOTFormat.parse(line).first)
        XCTAssertEqual(row.box, Box(x1: 1.5, y1: 2, x2: 11.5, y2: 22))
    }
}
