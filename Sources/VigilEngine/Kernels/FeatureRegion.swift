/// A rectangle of an output feature map: rows `rows` and columns `columns` of every image in
/// the batch.
///
/// The spatial kernels (convolution, depthwise convolution, pooling) compute just such a
/// rectangle on request, reading the input wherever its windows reach, and write exactly the
/// same values there as a whole-map run. That is what streaming convolution and token pruning
/// build on: recompute the tiles that changed (and their receptive-field halo), keep the rest.
public struct FeatureRegion: Sendable, Equatable {
    public var rows: Range<Int>
    public var columns: Range<Int>

    public init(rows: Range<Int>, columns: Range<Int>) {
        self.rows = rows
        self.columns = columns
    }

    /// The part of the region inside a `height`×`width` map.
    func clamped(height: Int, width: Int) -> FeatureRegion {
        FeatureRegion(rows: rows.clamped(to: 0..<max(height, 0)), columns: columns.clamped(to: 0..<max(width, 0)))
    }
}
