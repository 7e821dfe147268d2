/// Uninitialised memory for `count` floats starting on a 64-byte cache line; release it with
/// `deallocate()` as usual.
///
/// Kernels load 32-byte vectors from their weights and scratch buffers. `allocate(capacity:)`
/// aligns a `Float` buffer to 16 bytes at most, so where malloc happened to place it 16 or 48
/// bytes into a line, every other vector load straddled two lines. Which case a buffer got
/// changed from one build or process to the next: the sparse 14×14 1152→192 layer took 0.54 ms
/// in one build and 0.67 ms in another with the same inner loop (one thread, Zen 4), and 0.51 ms
/// with its scratch aligned.
@inline(__always)
func allocateAligned(count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: max(1, count))
}
