import Foundation
import XCTest

/// Paths, scratch files and external tools shared by the VigilMedia tests.
enum MediaFixtures {
    /// The package root, found from this file's location so tests run from any directory.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // VigilMediaTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// Samples/carphone.mp4: H.264, 176x144, 29.97 fps (see Samples/README.md).
    static let carphone = packageRoot.appendingPathComponent("Samples/carphone.mp4")
    /// The frame count recorded in Samples/README.md.
    static let carphoneFrameCount = 120

    /// A fresh directory under the system temp dir; removed at the end of the test.
    static func scratchDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("VigilMediaTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The full path of `name` on PATH, if installed.
    static func executable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs a tool to completion; returns stdout, throws on a non-zero exit.
    @discardableResult
    static func run(_ tool: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "MediaFixtures", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool.lastPathComponent) \(arguments) exited \(process.terminationStatus)"])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The sample rewritten with its `moov` index before `mdat`, as `ffmpeg -movflags
    /// +faststart` would: the committed file keeps `moov` at the end, so cutting it in
    /// half loses the index and nothing is decodable, whereas a faststart file cut in
    /// half keeps the index and the first half of the pictures. Done here in Swift so
    /// the truncation test does not depend on an ffmpeg binary.
    static func faststart(_ mp4: Data) throws -> Data {
        let boxes = topLevelBoxes(mp4)
        guard let moov = boxes.first(where: { $0.type == "moov" }),
              let mdat = boxes.first(where: { $0.type == "mdat" }), moov.range.lowerBound > mdat.range.lowerBound else {
            throw NSError(domain: "MediaFixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: "expected moov after mdat"])
        }
        // Everything from mdat on moves down by the size of moov.
        var index = Data(mp4[moov.range])
        shiftChunkOffsets(in: &index, range: 8..<index.count, by: UInt64(moov.range.count))
        var result = Data()
        for box in boxes where box.range.lowerBound < mdat.range.lowerBound { result += mp4[box.range] }
        result += index
        for box in boxes where box.range.lowerBound >= mdat.range.lowerBound && box.type != "moov" { result += mp4[box.range] }
        return result
    }

    private static func topLevelBoxes(_ data: Data) -> [(type: String, range: Range<Int>)] {
        var boxes: [(String, Range<Int>)] = []
        var offset = 0
        while offset + 8 <= data.count {
            let size = Int(readUInt32(data, offset))
            let type = String(decoding: data[data.startIndex + offset + 4 ..< data.startIndex + offset + 8], as: UTF8.self)
            guard size >= 8, offset + size <= data.count else { break }  // 64-bit sizes are not needed for the sample
            boxes.append((type, offset..<offset + size))
            offset += size
        }
        return boxes
    }

    /// Adds `delta` to every `stco`/`co64` entry inside the boxes in `range` of `box`.
    private static func shiftChunkOffsets(in box: inout Data, range: Range<Int>, by delta: UInt64) {
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound {
            let size = Int(readUInt32(box, offset))
            let type = String(decoding: box[box.startIndex + offset + 4 ..< box.startIndex + offset + 8], as: UTF8.self)
            guard size >= 8 else { return }
            switch type {
            case "trak", "mdia", "minf", "stbl":
                shiftChunkOffsets(in: &box, range: offset + 8 ..< offset + size, by: delta)
            case "stco":
                let count = Int(readUInt32(box, offset + 12))
                for entry in 0..<count {
                    let at = offset + 16 + 4 * entry
                    writeUInt32(&box, at, readUInt32(box, at) + UInt32(delta))
                }
            case "co64":
                let count = Int(readUInt32(box, offset + 12))
                for entry in 0..<count {
                    let at = offset + 16 + 8 * entry
                    let value = (UInt64(readUInt32(box, at)) << 32 | UInt64(readUInt32(box, at + 4))) + delta
                    writeUInt32(&box, at, UInt32(value >> 32))
                    writeUInt32(&box, at + 4, UInt32(truncatingIfNeeded: value))
                }
            default:
                break
            }
            offset += size
        }
    }

    private static func readUInt32(_ data: Data, _ offset: Int) -> UInt32 {
        let base = data.startIndex + offset
        return data[base ..< base + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func writeUInt32(_ data: inout Data, _ offset: Int, _ value: UInt32) {
        let base = data.startIndex + offset
        for byte in 0..<4 { data[base + byte] = UInt8(truncatingIfNeeded: value >> (24 - 8 * byte)) }
    }
}

/// A deterministic generator (SplitMix64) so the "random bytes" file is the same every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
