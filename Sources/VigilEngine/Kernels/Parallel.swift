import Dispatch

/// Splits `count` items into at most `threads` contiguous chunks and runs them concurrently.
/// Kernels call this; with one thread (or one chunk) the body runs inline.
@inline(__always)
func parallelChunks(_ count: Int, threads: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(threads, count / max(minimumChunk, 1)))
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
