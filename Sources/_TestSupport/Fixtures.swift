import Foundation
import VigilEngine

/// Paths of the package's shipped data, found from the calling source file so tests need no
/// bundle resources and see the real Models/ and Samples/.
public enum PackagePaths {
    /// The package root: the first ancestor of `file` that holds Package.swift.
    public static func root(file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(file)")
    }

    /// A path relative to the package root.
    public static func path(_ relative: String, file: String = #filePath) -> String {
        root(file: file).appendingPathComponent(relative).path
    }
}

/// A reference-output fixture written by scripts/make_references.py: the model, its input and
/// every output as produced by onnxruntime or the TFLite interpreter.
public struct ReferenceFixture: Decodable {
    public struct Input: Decodable { public var name: String; public var file: String; public var shape: [Int] }
    public struct Output: Decodable { public var name: String; public var file: String; public var shape: [Int] }
    public struct Tolerance: Decodable { public var rel: Float }

    public var model: String
    public var modelFile: String
    public var format: String
    public var layout: String
    public var input: Input
    public var outputs: [Output]
    public var tolerance: Tolerance
    /// Directory holding the manifest.
    public var directory: String = ""

    enum CodingKeys: String, CodingKey {
        case model, modelFile = "model_file", format, layout, input, outputs, tolerance
    }

    /// Loads `Tests/VigilEngineTests/Fixtures/<name>/manifest.json`.
    public static func load(_ name: String, file: String = #filePath) throws -> ReferenceFixture {
        let directory = PackagePaths.path("Tests/VigilEngineTests/Fixtures/\(name)", file: file)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        var fixture = try JSONDecoder().decode(ReferenceFixture.self, from: data)
        fixture.directory = directory
        return fixture
    }

    /// Absolute path of the model; non-shipped models live in Models/cache/ after setup.
    public func modelPath(file: String = #filePath) -> String? {
        let shipped = PackagePaths.path(modelFile, file: file)
        if FileManager.default.fileExists(atPath: shipped) { return shipped }
        let cached = PackagePaths.path("Models/cache/" + (modelFile as NSString).lastPathComponent, file: file)
        return FileManager.default.fileExists(atPath: cached) ? cached : nil
    }

    public func inputTensor() throws -> Tensor { try NPY.read(path: directory + "/" + input.file) }

    public func referenceOutput(_ output: Output) throws -> Tensor { try NPY.read(path: directory + "/" + output.file) }
}

/// Result of comparing a tensor against a reference with the rule
/// max |actual - reference| <= rel * max |reference|.
public struct Closeness: CustomStringConvertible {
    public var maxAbsDiff: Float
    public var maxAbsReference: Float
    public var worstIndex: Int
    public var rel: Float
    public var shapesMatch: Bool

    public var passes: Bool { shapesMatch && maxAbsDiff <= rel * max(maxAbsReference, Float.leastNormalMagnitude) && !maxAbsDiff.isNaN }

    public var description: String {
        shapesMatch
            ? "max abs diff \(maxAbsDiff) at \(worstIndex) (allowed \(rel * maxAbsReference) = \(rel) x max|ref| \(maxAbsReference))"
            : "shapes differ"
    }

    public static func compare(_ actual: Tensor, _ reference: Tensor, rel: Float) -> Closeness {
        guard actual.shape == reference.shape else {
            return Closeness(maxAbsDiff: .infinity, maxAbsReference: 0, worstIndex: -1, rel: rel, shapesMatch: false)
        }
        let a = actual.floats, r = reference.floats
        var worst: Float = 0, worstIndex = 0, maxRef: Float = 0
        for i in 0..<r.count {
            let d = abs(a[i] - r[i])
            if d > worst || d.isNaN { worst = d; worstIndex = i; if d.isNaN { break } }
            maxRef = max(maxRef, abs(r[i]))
        }
        return Closeness(maxAbsDiff: worst, maxAbsReference: maxRef, worstIndex: worstIndex, rel: rel, shapesMatch: true)
    }
}
