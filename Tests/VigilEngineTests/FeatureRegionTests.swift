import XCTest
@testable import VigilEngine
import _TestSupport

/// The spatial kernels run on a sub-rectangle of their output (`FeatureRegion`): covering the
/// map with regions of any shape must give exactly the whole-map result, and a region run must
/// leave everything outside it untouched.
final class FeatureRegionTests: XCTestCase {
    /// A random tiling of `height`×`width`: random cuts along each axis.
    func tiling(height: Int, width: Int, using rng: inout SeededGenerator) -> [FeatureRegion] {
        func cuts(_ size: Int) -> [Range<Int>] {
            var edges = [0, size]
            for _ in 0..<Int.random(in: 0...3, using: &rng) where size > 1 { edges.append(Int.random(in: 1..<size, using: &rng)) }
            edges = Array(Set(edges)).sorted()
            return zip(edges, edges.dropFirst()).map { $0..<$1 }
        }
        return cuts(height).flatMap { rows in cuts(width).map { FeatureRegion(rows: rows, columns: $0) } }
    }

    /// Runs `whole` into one buffer and `part` region by region into another (NaN-filled):
    /// they must agree bit for bit, and a single inner region must touch nothing outside it.
    func checkRegions(height: Int, width: Int, channels: Int, batch: Int, seed: UInt64, _ label: String,
                      whole: (UnsafeMutablePointer<Float>) -> Void, part: (UnsafeMutablePointer<Float>, FeatureRegion) -> Void,
                      file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let count = batch * height * width * channels
        let expected = UnsafeMutablePointer<Float>.allocate(capacity: count), actual = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { expected.deallocate(); actual.deallocate() }
        whole(expected)
        actual.initialize(repeating: .nan, count: count)
        let regions = tiling(height: height, width: width, using: &rng)
        for region in regions { part(actual, region) }
        for i in 0..<count where !(actual[i] == expected[i]) {
            XCTFail("\(label), \(regions.count) regions: element \(i) is \(actual[i]), whole-map run \(expected[i])", file: file, line: line)
            return
        }
        // One region in the middle: everything outside stays NaN.
        actual.initialize(repeating: .nan, count: count)
        let inner = FeatureRegion(rows: (height / 3)..<max(height / 3 + 1, 2 * height / 3), columns: (width / 4)..<max(width / 4 + 1, 3 * width / 4))
        part(actual, inner)
        for b in 0..<batch {
            for y in 0..<height {
                for x in 0..<width {
                    let inside = inner.rows.contains(y) && inner.columns.contains(x)
                    let value = actual[((b * height + y) * width + x) * channels]
                    if inside != !value.isNaN {
                        XCTFail("\(label): pixel (\(y), \(x)) \(inside ? "inside the region not written" : "outside the region written")", file: file, line: line)
                        return
                    }
                }
            }
        }
    }

    struct Case {
        var batch = 1, height = 13, width = 17, channels = 8, outputChannels = 16
        var kernel = (3, 3), strides = (1, 1), dilations = (1, 1)
        var padding: Padding = .explicit(top: 1, left: 1, bottom: 1, right: 1)
        var groups = 1
        var activation: Activation = .relu
    }

    func checkConvolution(_ c: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let input = Tensor.random([c.batch, c.height, c.width, c.channels], using: &rng)
        let weights = Tensor.random([c.outputChannels, c.channels / c.groups, c.kernel.0, c.kernel.1], using: &rng)
        let bias = Tensor.random([c.outputChannels], using: &rng)
        let attributes = Conv2DAttributes(layout: .nhwc, kernel: (c.kernel.0, c.kernel.1), strides: (c.strides.0, c.strides.1),
                                          dilations: (c.dilations.0, c.dilations.1), padding: c.padding, groups: c.groups, activation: c.activation)
        let g = ConvolutionGeometry(inputNHWC: [c.batch, c.height, c.width, c.channels], outputChannels: c.outputChannels, attributes)
        let label = "\(c)"
        input.floats.withUnsafeBufferPointer { x in
            if DepthwiseConv2DKernel.applies(g) {
                let kernel = DepthwiseConv2DKernel(geometry: g, weights: weights, bias: bias, activation: c.activation, threads: 1)
                checkRegions(height: g.outputHeight, width: g.outputWidth, channels: c.outputChannels, batch: c.batch, seed: seed, "depthwise " + label,
                             whole: { kernel.run(input: x.baseAddress!, output: $0) },
                             part: { kernel.run(input: x.baseAddress!, output: $0, region: $1) }, file: file, line: line)
            } else {
                let kernel = Conv2DKernel(geometry: g, weights: weights, bias: bias, activation: c.activation, threads: 1)
                checkRegions(height: g.outputHeight, width: g.outputWidth, channels: c.outputChannels, batch: c.batch, seed: seed, "conv " + label,
                             whole: { kernel.run(input: x.baseAddress!, output: $0) },
                             part: { kernel.run(input: x.baseAddress!, output: $0, region: $1) }, file: file, line: line)
            }
        }
    }

    func testConvolutionRegionsMatchTheWholeMap() {
        checkConvolution(Case(), seed: 1)
        checkConvolution(Case(kernel: (1, 1), padding: .zero), seed: 2)                                   // pointwise: one GEMM per region row
        checkConvolution(Case(batch: 2, height: 9, width: 70, channels: 3, outputChannels: 24, kernel: (5, 5), strides: (2, 2),
                              padding: .explicit(top: 1, left: 1, bottom: 2, right: 2)), seed: 3)          // a stem, rows longer than a tile
        checkConvolution(Case(channels: 12, outputChannels: 18, groups: 3, activation: .clip(min: 0, max: 6)), seed: 4)
        checkConvolution(Case(dilations: (2, 2), padding: .explicit(top: 2, left: 2, bottom: 2, right: 2)), seed: 5)
    }

    /// Winograd F(2×2, 3×3): a region computes the 2×2 tiles covering it and writes only its
    /// own pixels, with the values of the whole-map run (odd sizes, a batch, padding).
    func testWinogradRegionsMatchTheWholeMap() {
        checkConvolution(Case(height: 13, width: 17, channels: 16, outputChannels: 24, activation: .silu), seed: 11)
        checkConvolution(Case(batch: 2, height: 20, width: 9, channels: 32, outputChannels: 16, padding: .explicit(top: 0, left: 1, bottom: 1, right: 0)),
                         seed: 12)
    }

    func testDepthwiseRegionsMatchTheWholeMap() {
        checkConvolution(Case(channels: 24, outputChannels: 24, groups: 24), seed: 6)
        checkConvolution(Case(width: 150, channels: 20, outputChannels: 20, kernel: (5, 5), padding: .explicit(top: 2, left: 2, bottom: 2, right: 2),
                              groups: 20), seed: 7)                                                        // C % 8 != 0, rows longer than a tile
        checkConvolution(Case(batch: 2, channels: 32, outputChannels: 32, strides: (2, 2),
                              padding: .explicit(top: 0, left: 0, bottom: 1, right: 1), groups: 32, activation: .clip(min: 0, max: 6)), seed: 8)
        checkConvolution(Case(channels: 4, outputChannels: 4, groups: 4), seed: 9)                         // fewer than 8 channels
    }

    func testPoolingRegionsMatchTheWholeMap() {
        var rng = SeededGenerator(seed: 10)
        let (n, h, w, c) = (2, 11, 14, 10)
        let input = Tensor.random([n, h, w, c], using: &rng)
        for isMax in [true, false] {
            let attributes = Pool2DAttributes(layout: .nhwc, kernel: (3, 3), strides: (2, 2), padding: .explicit(top: 1, left: 1, bottom: 1, right: 1),
                                              ceilMode: false, countIncludePad: false)
            let (oh, ow) = ((h + 2 - 3) / 2 + 1, (w + 2 - 3) / 2 + 1)
            let kernel = Pool2DKernel(inputNHWC: [n, h, w, c], outputNHWC: [n, oh, ow, c], attributes, isMax: isMax, threads: 1)
            input.floats.withUnsafeBufferPointer { x in
                checkRegions(height: oh, width: ow, channels: c, batch: n, seed: 11, isMax ? "max pool" : "average pool",
                             whole: { kernel.run(input: x.baseAddress!, output: $0) },
                             part: { kernel.run(input: x.baseAddress!, output: $0, region: $1) })
            }
        }
    }

    func testRegionsOutsideTheMapAreClampedOrIgnored() {
        var rng = SeededGenerator(seed: 12)
        let input = Tensor.random([1, 6, 6, 8], using: &rng)
        let attributes = Conv2DAttributes(layout: .nhwc, kernel: (3, 3), strides: (1, 1), dilations: (1, 1),
                                          padding: .explicit(top: 1, left: 1, bottom: 1, right: 1), groups: 1, activation: .identity)
        let g = ConvolutionGeometry(inputNHWC: [1, 6, 6, 8], outputChannels: 8, attributes)
        let kernel = Conv2DKernel(geometry: g, weights: Tensor.random([8, 8, 3, 3], using: &rng), bias: nil, activation: .identity, threads: 1)
        input.floats.withUnsafeBufferPointer { x in
            checkRegions(height: 6, width: 6, channels: 8, batch: 1, seed: 13, "clamped",
                         whole: { kernel.run(input: x.baseAddress!, output: $0) },
                         part: { output, region in
                             // Grown past the map on every side: clamped to it.
                             let grown = FeatureRegion(rows: (region.rows.lowerBound == 0 ? -5 : region.rows.lowerBound)..<(region.rows.upperBound == 6 ? 40 : region.rows.upperBound),
                                                       columns: (region.columns.lowerBound == 0 ? -5 : region.columns.lowerBound)..<(region.columns.upperBound == 6 ? 40 : region.columns.upperBound))
                             kernel.run(input: x.baseAddress!, output: output, region: grown)
                             kernel.run(input: x.baseAddress!, output: output, region: FeatureRegion(rows: 7..<9, columns: 0..<6))  // wholly outside: nothing
                         })
        }
    }
}
