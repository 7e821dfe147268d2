import Foundation
import VigilPipeline
import VigilVision
import XCTest

/// `--output` writes through the path as a shell redirection does.
final class OutputFileTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// A symlink stays a symlink and its target gets the lines (a rename over the path, as
    /// `FileManager.createFile` does, would replace the link, or `/dev/null`, with a new file).
    func testWritesThroughASymlinkInPlace() throws {
        let directory = try temporaryDirectory()
        let target = directory.appendingPathComponent("target.jsonl").path
        let link = directory.appendingPathComponent("link.jsonl").path
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("old contents that must go\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        var writer = try JSONLinesWriter(path: link)
        try writer.consume(FrameResult(frameIndex: 0, pts: 0, detections: []), timing: FrameTiming(sequence: 0))
        try writer.finish()
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target, "the link was replaced")
        let written = try String(contentsOfFile: target, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("{\"frame\":0,"), written)
        XCTAssertFalse(written.contains("old contents"), "the file was not truncated: \(written)")
        XCTAssertEqual(written.split(separator: "\n").count, 1)
    }

    func testMissingDirectoryNamesTheReason() throws {
        let path = try temporaryDirectory().appendingPathComponent("no/such/dir/out.jsonl").path
        XCTAssertThrowsError(try JSONLinesWriter(path: path)) { error in
            XCTAssertEqual("\(error)", "cannot write '\(path)': No such file or directory (check the directory exists and is writable)")
        }
    }
}
