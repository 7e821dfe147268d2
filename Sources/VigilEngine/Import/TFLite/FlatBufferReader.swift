/// A bounds-checked reader of FlatBuffers binaries (the container of TFLite models).
///
/// Every offset read from the buffer is checked against its size before use, and every
/// failure throws `EngineError.malformedModel`, so corrupt or hostile files cannot crash
/// Vigil. Offsets to tables, vectors and strings are unsigned and point forward, so a
/// schema-driven walk cannot loop; vector lengths are checked against the bytes that
/// remain before anything is allocated.
///
/// Layout reminders (FlatBuffers binary format): the buffer starts with a `uoffset` (u32) to
/// the root table; a table starts with an `soffset` (i32) back to its vtable; a vtable is
/// `[u16 vtableSize, u16 tableSize, u16 fieldOffset...]`; a vector or string is a u32 count
/// followed by its elements; all scalars are little-endian.
struct FlatBufferReader: Sendable {
    /// The whole buffer.
    let bytes: [UInt8]
    /// Format named in error messages ("TFLite").
    let format: String

    init(bytes: [UInt8], format: String) {
        self.bytes = bytes
        self.format = format
    }

    func malformed(_ reason: String) -> EngineError {
        .malformedModel(format: format, reason: reason)
    }

    /// Checks that `count` bytes starting at `offset` lie inside the buffer.
    func checkRange(_ offset: Int, count: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw malformed("\(what()) at offset \(offset) (+\(count) bytes) lies outside the \(bytes.count)-byte file")
        }
    }

    // MARK: Scalars (little-endian, any alignment)

    func uint8(at offset: Int) throws -> UInt8 {
        try checkRange(offset, count: 1, "a byte")
        return bytes[offset]
    }

    func uint16(at offset: Int) throws -> UInt16 {
        try checkRange(offset, count: 2, "a 16-bit value")
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func uint32(at offset: Int) throws -> UInt32 {
        try checkRange(offset, count: 4, "a 32-bit value")
        return uncheckedUInt32(at: offset)
    }

    func int32(at offset: Int) throws -> Int32 { Int32(bitPattern: try uint32(at: offset)) }

    func uint64(at offset: Int) throws -> UInt64 {
        try checkRange(offset, count: 8, "a 64-bit value")
        return UInt64(uncheckedUInt32(at: offset)) | UInt64(uncheckedUInt32(at: offset + 4)) << 32
    }

    func float32(at offset: Int) throws -> Float { Float(bitPattern: try uint32(at: offset)) }

    /// The little-endian integers filling `range` (a buffer's payload), checked to lie inside
    /// the buffer and to hold a whole number of elements.
    func littleEndianArray<T: FixedWidthInteger>(_ type: T.Type, range: Range<Int>) throws -> [T] {
        let size = MemoryLayout<T>.size
        try checkRange(range.lowerBound, count: range.count, "a data buffer")
        guard range.count % size == 0 else {
            throw malformed("a data buffer of \(range.count) bytes does not hold whole \(size)-byte elements")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<(range.count / size)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: range.lowerBound + $0 * size, as: T.self)) }
        }
    }

    /// Caller has checked the range.
    private func uncheckedUInt32(at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// Follows the `uoffset` stored at `offset`: the target is relative to the field itself.
    func followOffset(at offset: Int) throws -> Int {
        let relative = Int(try uint32(at: offset))
        // Both terms are below 2^32, so the sum cannot overflow a 64-bit Int.
        let target = offset + relative
        guard target < bytes.count else {
            throw malformed("offset \(relative) at \(offset) points past the end of the file")
        }
        return target
    }

    // MARK: Structure

    /// The root table.
    func rootTable() throws -> FlatBufferTable {
        guard bytes.count >= 8 else { throw malformed("the file is \(bytes.count) bytes, too short to hold a model") }
        return try table(at: try followOffset(at: 0))
    }

    /// The 4-byte file identifier after the root offset, if the buffer is long enough.
    var fileIdentifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    /// The table starting at `position`, with its vtable validated.
    func table(at position: Int) throws -> FlatBufferTable {
        let back = Int(try int32(at: position))
        let vtable = position - back
        try checkRange(vtable, count: 4, "a vtable header")
        let vtableSize = Int(try uint16(at: vtable))
        let tableSize = Int(try uint16(at: vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw malformed("a vtable at \(vtable) declares an invalid size \(vtableSize)")
        }
        try checkRange(vtable, count: vtableSize, "a vtable")
        guard tableSize >= 4 else { throw malformed("a table at \(position) declares an invalid size \(tableSize)") }
        try checkRange(position, count: tableSize, "a table")
        return FlatBufferTable(reader: self, position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize)
    }

    /// The vector whose length prefix is at `position`, with `elementSize`-byte elements.
    func vector(at position: Int, elementSize: Int) throws -> FlatBufferVector {
        let count = Int(try uint32(at: position))
        let start = position + 4
        // count < 2^32 and elementSize <= 8, so the product cannot overflow.
        try checkRange(start, count: count * elementSize, "a vector of \(count) elements")
        return FlatBufferVector(reader: self, start: start, count: count, elementSize: elementSize)
    }
}

/// A table inside a FlatBuffers buffer: fields are looked up through the vtable by index.
struct FlatBufferTable: Sendable {
    let reader: FlatBufferReader
    /// Absolute position of the table.
    let position: Int
    let vtable: Int
    let vtableSize: Int
    let tableSize: Int

    /// Absolute position of field `index` holding `size` bytes, or nil when the field is absent.
    func fieldPosition(_ index: Int, size: Int) throws -> Int? {
        let entry = 4 + 2 * index
        guard index >= 0, entry + 2 <= vtableSize else { return nil }
        let relative = Int(try reader.uint16(at: vtable + entry))
        guard relative != 0 else { return nil }
        guard relative + size <= tableSize else {
            throw reader.malformed("field \(index) of the table at \(position) lies outside the table's \(tableSize) bytes")
        }
        return position + relative
    }

    /// Whether field `index` is present.
    func has(_ index: Int) throws -> Bool { try fieldPosition(index, size: 0) != nil }

    func int8(_ index: Int, default value: Int8) throws -> Int8 {
        guard let p = try fieldPosition(index, size: 1) else { return value }
        return Int8(bitPattern: try reader.uint8(at: p))
    }

    func uint8(_ index: Int, default value: UInt8) throws -> UInt8 {
        guard let p = try fieldPosition(index, size: 1) else { return value }
        return try reader.uint8(at: p)
    }

    func bool(_ index: Int, default value: Bool) throws -> Bool {
        try uint8(index, default: value ? 1 : 0) != 0
    }

    func int32(_ index: Int, default value: Int32) throws -> Int32 {
        guard let p = try fieldPosition(index, size: 4) else { return value }
        return try reader.int32(at: p)
    }

    func uint32(_ index: Int, default value: UInt32) throws -> UInt32 {
        guard let p = try fieldPosition(index, size: 4) else { return value }
        return try reader.uint32(at: p)
    }

    func uint64(_ index: Int, default value: UInt64) throws -> UInt64 {
        guard let p = try fieldPosition(index, size: 8) else { return value }
        return try reader.uint64(at: p)
    }

    func float32(_ index: Int, default value: Float) throws -> Float {
        guard let p = try fieldPosition(index, size: 4) else { return value }
        return try reader.float32(at: p)
    }

    /// The sub-table referenced by field `index` (also a union's value).
    func table(_ index: Int) throws -> FlatBufferTable? {
        guard let p = try fieldPosition(index, size: 4) else { return nil }
        return try reader.table(at: try reader.followOffset(at: p))
    }

    /// The vector referenced by field `index`, with `elementSize`-byte elements
    /// (4 for vectors of tables, strings or offsets).
    func vector(_ index: Int, elementSize: Int) throws -> FlatBufferVector? {
        guard let p = try fieldPosition(index, size: 4) else { return nil }
        return try reader.vector(at: try reader.followOffset(at: p), elementSize: elementSize)
    }

    /// The string referenced by field `index` (UTF-8; invalid sequences are replaced).
    func string(_ index: Int) throws -> String? {
        guard let v = try vector(index, elementSize: 1) else { return nil }
        return String(decoding: reader.bytes[v.start..<(v.start + v.count)], as: UTF8.self)
    }

    /// Field `index` as a vector of int32, empty when absent.
    func int32s(_ index: Int) throws -> [Int32] {
        guard let v = try vector(index, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.int32(at: $0) }
    }

    /// Field `index` as a vector of float32, empty when absent.
    func float32s(_ index: Int) throws -> [Float] {
        guard let v = try vector(index, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.float32(at: $0) }
    }

    /// Field `index` as a vector of int64, empty when absent.
    func int64s(_ index: Int) throws -> [Int64] {
        guard let v = try vector(index, elementSize: 8) else { return [] }
        return try (0..<v.count).map { Int64(bitPattern: try v.uint64(at: $0)) }
    }

    /// Field `index` as a vector of tables, empty when absent.
    func tables(_ index: Int) throws -> [FlatBufferTable] {
        guard let v = try vector(index, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try v.table(at: $0) }
    }
}

/// A vector inside a FlatBuffers buffer; its elements are known to lie inside the buffer.
struct FlatBufferVector: Sendable {
    let reader: FlatBufferReader
    /// Absolute position of element 0.
    let start: Int
    let count: Int
    let elementSize: Int

    /// Byte range of the elements.
    var byteRange: Range<Int> { start..<(start + count * elementSize) }

    private func position(_ i: Int, _ size: Int) throws -> Int {
        guard i >= 0, i < count, size <= elementSize else {
            throw reader.malformed("element \(i) of a \(count)-element vector is out of range")
        }
        return start + i * elementSize
    }

    func uint8(at i: Int) throws -> UInt8 { try reader.uint8(at: try position(i, 1)) }
    func uint16(at i: Int) throws -> UInt16 { try reader.uint16(at: try position(i, 2)) }
    func int32(at i: Int) throws -> Int32 { try reader.int32(at: try position(i, 4)) }
    func uint64(at i: Int) throws -> UInt64 { try reader.uint64(at: try position(i, 8)) }
    func float32(at i: Int) throws -> Float { try reader.float32(at: try position(i, 4)) }

    /// Element `i` of a vector of tables.
    func table(at i: Int) throws -> FlatBufferTable {
        try reader.table(at: try reader.followOffset(at: try position(i, 4)))
    }

    /// Element `i` of a vector of strings.
    func string(at i: Int) throws -> String {
        let v = try reader.vector(at: try reader.followOffset(at: try position(i, 4)), elementSize: 1)
        return String(decoding: reader.bytes[v.byteRange], as: UTF8.self)
    }
}
