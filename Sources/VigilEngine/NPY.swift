import Foundation

/// Reads and writes NumPy `.npy` files (format 1.0/2.0, little-endian, C order):
/// float32, float64 and float16 read as float32; int64/int32 read as int64.
public enum NPY {
    public static func read(path: String) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.npy(path: path, reason: "cannot read the file")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw EngineError.npy(path: path, reason: "not an .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw EngineError.npy(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= bytes.count else { throw EngineError.npy(path: path, reason: "truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = field(header, "descr"), let shapeText = field(header, "shape") else {
            throw EngineError.npy(path: path, reason: "header lacks descr or shape: \(header)")
        }
        if field(header, "fortran_order")?.hasPrefix("True") == true {
            throw EngineError.npy(path: path, reason: "Fortran-order arrays are not supported")
        }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = headerStart + headerLength
        let type = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        let size: Int
        switch type {
        case "<f4", "<i4": size = 4
        case "<f8", "<i8": size = 8
        case "<f2": size = 2
        default: throw EngineError.npy(path: path, reason: "unsupported dtype \(type) (use little-endian float32)")
        }
        guard bytes.count - body >= count * size else {
            throw EngineError.npy(path: path, reason: "data holds \(bytes.count - body) bytes, shape \(shape) needs \(count * size)")
        }
        return bytes.withUnsafeBytes { raw -> Tensor in
            func load<T>(_ t: T.Type) -> [T] { (0..<count).map { raw.loadUnaligned(fromByteOffset: body + $0 * size, as: T.self) } }
            switch type {
            case "<f4": return Tensor(shape: shape, floats: load(Float.self))
            case "<f8": return Tensor(shape: shape, floats: load(Double.self).map { Float($0) })
            case "<f2": return Tensor(shape: shape, floats: load(UInt16.self).map { Float(Float16(bitPattern: $0)) })
            case "<i4": return Tensor(shape: shape, ints: load(Int32.self).map { Int64($0) })
            default: return Tensor(shape: shape, ints: load(Int64.self))
            }
        }
    }

    /// Value text of `key` in the header dictionary (up to the next top-level comma).
    static func field(_ header: String, _ key: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var rest = header[range.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }

    /// Encodes a tensor as .npy (float32 or int64).
    public static func encode(_ tensor: Tensor) -> Data {
        let descr = tensor.dataType == .float32 ? "<f4" : "<i8"
        let shapeText = tensor.shape.isEmpty ? "()" : tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        switch tensor.storage {
        case .float32(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
        case .int64(let v): v.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    public static func write(_ tensor: Tensor, path: String) throws {
        do {
            try encode(tensor).write(to: URL(fileURLWithPath: path))
        } catch {
            throw EngineError.npy(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
