import CVigilRuntime
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Below this much work (multiply-adds or element operations) a kernel runs on the calling
/// thread. Handing a chunk to a spinning pool worker costs about a microsecond, but a step run
/// inline on two real cores also reads the half of its input the other core just wrote, from
/// that core's cache: on a Zen 4 with two cores, the 12×12 and 6×6 depthwise steps of the
/// full-range face detector took 3 → 19 µs and 2 → 9 µs inline at two threads against one.
/// Splitting them as well keeps each thread on the rows it wrote: at two threads, 1 << 17 →
/// 1 << 14, median of six alternating rounds, short-range face 0.519 → 0.448 ms, full-range
/// face 1.634 → 1.602, palm 3.63 → 3.42, selfie 1.507 → 1.461, pose level; 1 << 13 no better.
/// `VIGIL_MIN_PARALLEL` overrides it, for comparing in one build. (Dispatch, selectable for
/// comparison, needs about 16× more than the old 1 << 17 to break even.)
let minimumParallelWork = getenv("VIGIL_MIN_PARALLEL").flatMap { Int(String(cString: $0)) }
    ?? (WorkerPool.useDispatch ? 1 << 21 : 1 << 14)

/// Work over the items `0..<count` (rows, pixels, tiles) that any thread may run a part of:
/// what kernels hand `parallelChunks`. A struct, not a closure, so that the worker pool can reach
/// it through a pointer to the caller's stack: handing a closure to other threads needs an
/// escaping copy, whose context Swift allocates on the heap at every call (30–70 allocations a
/// frame at two threads, found by `AllocationTests`).
protocol ParallelJob: SendableMetatype {
    func run(_ range: Range<Int>)
}

extension ParallelJob {
    /// Runs chunk `chunk` of `chunks` over `0..<count` of the job stored at `job`.
    static func runChunk(_ job: UnsafeRawPointer, chunk: Int, of chunks: Int, count: Int) {
        let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
        if start < end { job.assumingMemoryBound(to: Self.self).pointee.run(start..<end) }
    }
}

/// A kernel whose output splits into independent ranges of items (rows or pixels) computed from
/// one input: `RowsJob` runs a range of them.
protocol RowPartitionedKernel {
    func run(rows: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
}

/// Rows `range` of a `RowPartitionedKernel`'s output.
struct RowsJob<Kernel: RowPartitionedKernel>: ParallelJob {
    let kernel: Kernel
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    func run(_ range: Range<Int>) { kernel.run(rows: range, input: input, output: output) }
}

/// Splits `count` items into up to `chunksPerThread` contiguous chunks per thread and runs them
/// on the calling thread and the `WorkerPool`. With one thread, one chunk, or less than
/// `minimumParallelWork` of `work`, the job runs inline. Chunk `i` always covers the same range,
/// whichever thread runs it, so kernels may key per-chunk scratch memory by the chunk's start;
/// a kernel that passes `count` = `threads` (one item per chunk of its own) gets exactly those.
@inline(__always)
func parallelChunks<Job: ParallelJob>(_ count: Int, threads: Int, minimumChunk: Int = 1, work: Int = .max, _ job: Job) {
    let chunks = work < minimumParallelWork || threads <= 1
        ? 1 : max(1, min(threads * chunksPerThread, 64, count / max(minimumChunk, 1)))
    if chunks <= 1 || count <= 1 {
        if count > 0 { job.run(0..<count) }
        return
    }
    if WorkerPool.useDispatch {
        let box = UncheckedSendable(job)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
            if start < end { box.value.run(start..<end) }
        }
        return
    }
    WorkerPool.shared.run(job, count: count, chunks: chunks, threads: threads)
}

/// Chunks per thread in `parallelChunks`: each thread owns a contiguous share of them, and a
/// thread done with its share takes what is left of another's, from the far end. On this
/// shared host a vCPU is now and then held back (by the hypervisor, or by its SMT sibling's
/// load) for part of a step; with one chunk per thread the other thread then waited for the
/// whole of the late one's half. `VIGIL_CHUNKS_PER_THREAD` overrides it for comparing in one
/// build (1 is the earlier one-chunk-per-thread split).
let chunksPerThread = getenv("VIGIL_CHUNKS_PER_THREAD").flatMap { Int(String(cString: $0)) }.map { min(max($0, 1), 32) } ?? 4

/// Persistent kernel threads that spin briefly between jobs, so that the hundred-odd small
/// steps of a detector can each be split across cores: waking a Dispatch worker costs tens of
/// microseconds, a spinning worker picks a job up in well under one.
///
/// One job at a time, and the caller never waits for a worker that has not started: `state`
/// packs a job generation (odd while a job is open) with the number of workers inside it. A
/// worker joins an open job by incrementing that count with a compare-exchange on the same
/// generation, claims chunks (its own share first, see `runClaimedChunks`) and leaves. The caller claims chunks too;
/// when none is left it closes the job (generation made even, so no one can join any more)
/// and waits only for the workers inside to finish their chunk. A worker that was descheduled
/// or parked therefore costs nothing: the caller does its share. The job, which does not
/// escape, is never touched after `run` returns. Workers spin for a while after a job, yielding
/// the core to any other runnable thread after the first tens of microseconds, and then park on
/// a condition variable.
/// A caller finding the pool busy (another session on another thread) runs its chunks inline.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `job`, `jobType`, `jobCount` and `jobChunks` are written only by the caller holding `busy`, while the
    // job is closed and no worker is inside; workers read them only while inside an open job.

    /// One worker per processor beyond the caller's.
    static let shared = WorkerPool(workers: max(0, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) - 1))

    /// PAUSE-only iterations (tens of microseconds), then `sched_yield` until `spinIterations`
    /// (about a millisecond in all), then park.
    static let pureSpinIterations = 1_000
    static let spinIterations = 5_000

    /// `VIGIL_POOL=dispatch` splits kernels with `DispatchQueue.concurrentPerform` instead, for
    /// comparing the two in one build.
    static let useDispatch = getenv("VIGIL_POOL").map { String(cString: $0) == "dispatch" } ?? false

    /// generation << 16 | workers inside the current job.
    private let state = Atomic<Int>(0)
    private static let one = 1 << 16
    /// Chunk i's bit is set once some participant has claimed it.
    private let claimed = Atomic<UInt64>(0)
    private let parkedWorkers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The open job: where the caller keeps it, its type (which knows how to run a chunk of
    /// it), its item count and its chunk count.
    private var job: UnsafeRawPointer?
    private var jobType: (any ParallelJob.Type)?
    private var jobCount = 0
    private var jobChunks = 0
    /// How many threads share the open job: thread t (the caller 0, worker i thread i + 1)
    /// owns chunks `jobChunks * t / jobThreads ..< jobChunks * (t + 1) / jobThreads`.
    private var jobThreads = 1
    let workerCount: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init(workers: Int) {
        workerCount = min(workers, 63)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for index in 0..<workerCount {
            var thread = pthread_t()
            // The pool lives as long as its threads.
            let context = Unmanaged.passRetained(WorkerStart(pool: self, thread: index + 1)).toOpaque()
            let status = pthread_create(&thread, nil, { context in
                let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeUnretainedValue()
                start.pool.workerLoop(thread: start.thread)
            }, context)
            precondition(status == 0, "cannot start a kernel worker thread: error \(status)")
            pthread_detach(thread)
        }
    }

    /// Runs `job` on each of `chunks` (at most 64) contiguous chunks of `0..<count` across the
    /// caller and `threads - 1` workers; returns when all are done. Allocates nothing: workers
    /// reach the job through a pointer to the caller's copy, which outlives the job.
    func run<Job: ParallelJob>(_ job: Job, count: Int, chunks: Int, threads: Int) {
        guard workerCount > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for chunk in 0..<chunks {
                let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
                if start < end { job.run(start..<end) }
            }
            return
        }
        withUnsafePointer(to: job) { pointer in
            self.job = UnsafeRawPointer(pointer)
            jobType = Job.self
            jobCount = count
            jobChunks = chunks
            jobThreads = max(1, min(threads, workerCount + 1, chunks))
            claimed.store(0, ordering: .relaxed)
            state.add(Self.one, ordering: .sequentiallyConsistent)  // open: publishes job and chunks
            if parkedWorkers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            runClaimedChunks(thread: 0)
            // Close, then wait for the workers still inside (each finishing a chunk it claimed).
            var inside = state.add(Self.one, ordering: .sequentiallyConsistent).newValue & (Self.one - 1)
            var spins = 0
            while inside > 0 {
                // A worker preempted mid-chunk may need this very core: let it have it.
                spins += 1
                if spins < Self.pureSpinIterations { vigil_cpu_relax() } else { sched_yield() }
                inside = state.load(ordering: .acquiring) & (Self.one - 1)
            }
            self.job = nil
            jobType = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Runs thread `thread`'s share of the chunks in order, then takes the highest unclaimed
    /// chunk of anyone's until none is left. Each thread therefore gets the same part of every
    /// step whenever it joins in time: the rows it wrote in one step are the rows it reads in
    /// the next, still in its own cache. (A shared counter handed chunk 0 to whichever thread
    /// came first.) A late or slow thread's share is eaten from its far end, so it and the
    /// thread helping it meet in the middle instead of both finishing the same neighbourhood.
    /// Workers beyond the job's thread count claim nothing.
    @inline(never)
    private func runClaimedChunks(thread: Int) {
        guard let job, let jobType else { return }
        let (chunks, count, threads) = (jobChunks, jobCount, jobThreads)
        guard thread < threads else { return }
        let all: UInt64 = chunks >= 64 ? ~0 : (1 << UInt64(chunks)) - 1
        @inline(__always) func claim(_ chunk: Int) -> Bool {
            let bit: UInt64 = 1 << UInt64(chunk)
            return claimed.bitwiseOr(bit, ordering: .relaxed).oldValue & bit == 0
        }
        // Own share, ascending; a claimed chunk means a helper has reached us from the far end.
        for chunk in chunks * thread / threads..<chunks * (thread + 1) / threads {
            guard claim(chunk) else { break }
            jobType.runChunk(job, chunk: chunk, of: chunks, count: count)
        }
        while true {
            let free = ~claimed.load(ordering: .relaxed) & all
            if free == 0 { return }
            let chunk = 63 - free.leadingZeroBitCount
            if claim(chunk) { jobType.runChunk(job, chunk: chunk, of: chunks, count: count) }
        }
    }

    private func workerLoop(thread: Int) -> Never {
        var finished = 0  // the last generation this worker took part in or saw closed
        while true {
            var spins = 0
            var current = state.load(ordering: .acquiring)
            while true {
                let generation = current >> 16
                if generation & 1 == 1 && generation != finished {
                    // Join the open job unless it closed (or another worker joined) meanwhile.
                    let (joined, seen) = state.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
                    if joined { break }
                    current = seen
                    continue
                }
                spins += 1
                if spins < Self.pureSpinIterations {
                    vigil_cpu_relax()
                } else if spins < Self.spinIterations {
                    sched_yield()  // still quick to respond, but gives the core to any other runnable thread
                } else {
                    // Park. The seq-cst increment pairs with the caller's seq-cst open and load of
                    // `parkedWorkers`: either we see the new generation here or the caller sees us
                    // parked and broadcasts (under the mutex, so not before we wait).
                    pthread_mutex_lock(mutex)
                    parkedWorkers.add(1, ordering: .sequentiallyConsistent)
                    while state.load(ordering: .sequentiallyConsistent) >> 16 == generation { pthread_cond_wait(condition, mutex) }
                    parkedWorkers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                }
                current = state.load(ordering: .acquiring)
            }
            finished = current >> 16
            runClaimedChunks(thread: thread)
            state.subtract(1, ordering: .releasing)  // leave
        }
    }
}

/// What a new worker thread needs: its pool and its thread number in jobs (the caller is 0).
private final class WorkerStart {
    let pool: WorkerPool
    let thread: Int
    init(pool: WorkerPool, thread: Int) { self.pool = pool; self.thread = thread }
}

/// Wraps a value the caller guarantees is used without data races (kernels write disjoint ranges).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
