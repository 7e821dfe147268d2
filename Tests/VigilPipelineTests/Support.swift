import Foundation
import VigilPipeline
import XCTest

struct TestError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs `body` on a fresh thread and fails (instead of hanging the suite) if it takes longer
/// than `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, file: StaticString = #filePath, line: UInt = #line,
                               _ body: @escaping @Sendable () throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Thread {
        result.set(Result { try body() })
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success else {
        XCTFail("did not finish within \(seconds) s: the pipeline hangs", file: file, line: line)
        throw TestError(message: "deadline")
    }
    return try result.get()
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.lock(); result = value; lock.unlock() }
    func get() throws -> T { lock.lock(); defer { lock.unlock() }; return try result!.get() }
}

/// A stage that sleeps for real, to test overlap between threads.
struct SleepStage: Stage {
    var milliseconds: Double
    func process(_ input: Int) throws -> Int {
        Thread.sleep(forTimeInterval: milliseconds / 1000)
        return input
    }
}

/// An endless source of 0, 1, 2, …
struct CountingSource: SourceStage {
    var limit = Int.max
    private var next_ = 0
    init(limit: Int = .max) { self.limit = limit }
    mutating func next() throws -> Int? {
        guard next_ < limit else { return nil }
        defer { next_ += 1 }
        return next_
    }
}
