import Foundation
import VigilEngine
import VigilVision
import XCTest
import _TestSupport

/// Recorded model outputs (Tests/VigilEngineTests/Fixtures) and the shipped sidecars.
enum VisionFixtures {
    /// carphone.mp4 frames are 176x144; the fixtures stretch them over the model input.
    static let sourceWidth = 176, sourceHeight = 144

    static func metadata(_ name: String) throws -> ModelMetadata {
        try ModelMetadata.load(path: PackagePaths.path("Models/\(name).json"))
    }

    /// Every output of a fixture, keyed by output name.
    static func outputs(_ name: String) throws -> [String: Tensor] {
        let fixture = try ReferenceFixture.load(name)
        var result: [String: Tensor] = [:]
        for output in fixture.outputs { result[output.name] = try fixture.referenceOutput(output) }
        return result
    }

    /// How the fixture scripts made the input: the frame stretched to the model's size.
    static func stretch(to metadata: ModelMetadata) -> InputTransform {
        .stretch(sourceWidth: sourceWidth, sourceHeight: sourceHeight, inputWidth: metadata.input.width, inputHeight: metadata.input.height)
    }

    /// Decodes a fixture's recorded outputs with its sidecar's head.
    static func decode(_ name: String) throws -> VisionResult {
        let metadata = try metadata(name)
        return try TaskHead(metadata: metadata).decode(outputs: try outputs(name), transform: stretch(to: metadata))
    }
}
