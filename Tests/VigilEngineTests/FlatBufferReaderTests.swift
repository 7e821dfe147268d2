import XCTest
@testable import VigilEngine

/// The flatbuffer reader reads what a writer wrote and turns every out-of-range offset,
/// length or field into `EngineError.malformedModel`.
final class FlatBufferReaderTests: XCTestCase {
    func reader(_ bytes: [UInt8]) -> FlatBufferReader { FlatBufferReader(bytes: bytes, format: "test") }

    func assertMalformed<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case EngineError.malformedModel = error else {
                return XCTFail("expected malformedModel, got \(error)", file: file, line: line)
            }
        }
    }

    let sample: [Int: FBValue] = [
        0: .int32(-7),
        1: .string("héllo"),
        2: .int32s([1, -2, 3]),
        3: .table([0: .float(2.5), 1: .bool(true)]),
        4: .tables([[0: .uint8(9)], [0: .uint8(10)]]),
        6: .uint32(0xDEAD_BEEF),
    ]

    func testReadsScalarsStringsVectorsAndTables() throws {
        let r = reader(FlatBufferTestWriter.buffer(root: sample, identifier: "TEST"))
        XCTAssertEqual(r.fileIdentifier, "TEST")
        let root = try r.rootTable()
        XCTAssertEqual(try root.int32(0, default: 0), -7)
        XCTAssertEqual(try root.string(1), "héllo")
        XCTAssertEqual(try root.int32s(2), [1, -2, 3])
        let child = try XCTUnwrap(try root.table(3))
        XCTAssertEqual(try child.float32(0, default: 0), 2.5)
        XCTAssertEqual(try child.bool(1, default: false), true)
        XCTAssertEqual(try root.tables(4).map { try $0.uint8(0, default: 0) }, [9, 10])
        XCTAssertEqual(try root.uint32(6, default: 0), 0xDEAD_BEEF)
    }

    func testAbsentFieldsGiveDefaults() throws {
        let root = try reader(FlatBufferTestWriter.buffer(root: sample)).rootTable()
        XCTAssertEqual(try root.int32(5, default: 42), 42)   // inside the vtable, offset 0
        XCTAssertEqual(try root.int32(40, default: 17), 17)  // past the vtable
        XCTAssertNil(try root.table(5))
        XCTAssertNil(try root.string(40))
        XCTAssertEqual(try root.int32s(40), [])
        XCTAssertEqual(try root.int32(-1, default: 3), 3)
    }

    func testTooShortBufferIsMalformed() {
        assertMalformed(try reader([]).rootTable())
        assertMalformed(try reader([4, 0, 0]).rootTable())
    }

    func testRootOffsetPastTheEndIsMalformed() {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        bytes[0] = 0xFF; bytes[1] = 0xFF; bytes[2] = 0xFF; bytes[3] = 0x7F
        assertMalformed(try reader(bytes).rootTable())
    }

    func testVtableOutsideTheBufferIsMalformed() {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        let root = Int(bytes[0])
        // soffset so large the vtable would lie before the buffer start.
        bytes[root] = 0xFF; bytes[root + 1] = 0xFF; bytes[root + 2] = 0xFF; bytes[root + 3] = 0x7F
        assertMalformed(try reader(bytes).rootTable())
        // Negative soffset: vtable past the end.
        bytes[root] = 0x00; bytes[root + 1] = 0x00; bytes[root + 2] = 0x00; bytes[root + 3] = 0x80
        assertMalformed(try reader(bytes).rootTable())
    }

    func testBadVtableSizeIsMalformed() throws {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        let r = try reader(bytes).rootTable()
        bytes[r.vtable] = 3 // odd, below 4
        bytes[r.vtable + 1] = 0
        assertMalformed(try reader(bytes).rootTable())
        bytes[r.vtable] = 0xFE; bytes[r.vtable + 1] = 0xFF // past the end
        assertMalformed(try reader(bytes).rootTable())
    }

    func testFieldOutsideTheTableIsMalformed() throws {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        let r = try reader(bytes).rootTable()
        // Field 0's offset points beyond the table's declared size.
        bytes[r.vtable + 4] = 0xF0; bytes[r.vtable + 5] = 0x00
        let root = try reader(bytes).rootTable()
        assertMalformed(try root.int32(0, default: 0))
    }

    func testHugeVectorLengthIsMalformedWithoutAllocating() throws {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        let root = try reader(bytes).rootTable()
        let field = try XCTUnwrap(try root.fieldPosition(2, size: 4))
        let vector = try reader(bytes).followOffset(at: field)
        for i in 0..<4 { bytes[vector + i] = 0xFF }
        let corrupt = try reader(bytes).rootTable()
        assertMalformed(try corrupt.int32s(2))
        assertMalformed(try corrupt.vector(2, elementSize: 4))
    }

    func testReferencePastTheEndIsMalformed() throws {
        var bytes = FlatBufferTestWriter.buffer(root: sample)
        let root = try reader(bytes).rootTable()
        let field = try XCTUnwrap(try root.fieldPosition(1, size: 4))
        bytes[field] = 0xFF; bytes[field + 1] = 0xFF; bytes[field + 2] = 0xFF; bytes[field + 3] = 0xFF
        assertMalformed(try reader(bytes).rootTable().string(1))
    }

    func testVectorElementAccessIsBoundsChecked() throws {
        let root = try reader(FlatBufferTestWriter.buffer(root: sample)).rootTable()
        let v = try XCTUnwrap(try root.vector(2, elementSize: 4))
        XCTAssertEqual(try v.int32(at: 2), 3)
        assertMalformed(try v.int32(at: 3))
        assertMalformed(try v.int32(at: -1))
        assertMalformed(try v.uint64(at: 0)) // element wider than the vector's elements
    }

    func testScalarReadsAreBoundsChecked() {
        let r = reader([1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(try r.uint32(at: 4), 0x0807_0605)
        XCTAssertEqual(try r.uint16(at: 6), 0x0807)
        assertMalformed(try r.uint32(at: 5))
        assertMalformed(try r.uint8(at: 8))
        assertMalformed(try r.uint64(at: 1))
        assertMalformed(try r.uint8(at: -1))
        assertMalformed(try r.uint32(at: Int.max - 1))
    }

    func testTypedArraysAreBoundsChecked() throws {
        let r = reader([1, 0, 0, 0, 2, 0, 0, 0, 0xFF])
        XCTAssertEqual(try r.littleEndianArray(Int32.self, range: 0..<8), [1, 2])
        XCTAssertEqual(try r.littleEndianArray(UInt16.self, range: 0..<4), [1, 0])
        assertMalformed(try r.littleEndianArray(Int32.self, range: 0..<9))   // not whole elements
        assertMalformed(try r.littleEndianArray(Int32.self, range: 4..<12))  // past the end
    }

    func testRandomBuffersNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0..<96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let r = reader(bytes)
            // Walk whatever the bytes claim to be; only malformedModel may come out.
            do {
                let root = try r.rootTable()
                for field in 0..<8 {
                    _ = try? root.int32(field, default: 0)
                    _ = try? root.string(field)
                    _ = try? root.int32s(field)
                    _ = try? root.tables(field).map { try $0.int8(0, default: 0) }
                }
            } catch let error as EngineError {
                guard case .malformedModel = error else { return XCTFail("unexpected \(error)") }
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
    }
}
