import Dispatch

/// Below this much work (multiply-adds or element operations) a kernel runs on the calling
/// thread: waking a Dispatch worker costs tens of microseconds, more than the second core
/// saves on a small step (measured on the MediaPipe detectors, whose hundred-odd small steps
/// ran slower on two threads than on one). A spinning worker pool is the planned fix.
let minimumParallelWork = 1 << 21

/// Splits `count` items into at most `threads` contiguous chunks and runs them concurrently.
/// With one thread, one chunk, or less than `minimumParallelWork` of `work`, the body runs inline.
@inline(__always)
func parallelChunks(_ count: Int, threads: Int, minimumChunk: Int = 1, work: Int = .max, _ body: (Range<Int>) -> Void) {
    let chunks = work < minimumParallelWork ? 1 : max(1, min(threads, count / max(minimumChunk, 1)))
    if chunks <= 1 || count <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { box.value(start..<end) }
        }
    }
}

/// Wraps a value the caller guarantees is used without data races (kernels write disjoint ranges).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
