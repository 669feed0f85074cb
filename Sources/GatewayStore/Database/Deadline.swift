import ChainMonitor
import Synchronization

/// A call that had no answer within its deadline and was abandoned.
public struct DeadlineExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    public let limit: Duration

    public init(limit: Duration) { self.limit = limit }

    public var description: String { "no answer within \(limit)" }
}

/// A monitor whose store call hung stops and starts again with a new lease, which fences the
/// abandoned call out: even if it wakes up later, it cannot write.
extension DeadlineExceeded: StopsMonitor {
    public var stopsMonitor: Bool { true }
}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` once `limit` has
/// passed without one. The operation then is cancelled and left behind: unlike a task group,
/// the caller does not wait for it to acknowledge the cancellation. A database call whose
/// connection died at the wrong moment can wait for ever; the background services put every
/// database call under a deadline so that such a call costs them one retry, not their life.
///
/// Cancelling the caller cancels the operation and throws `CancellationError` at once.
@discardableResult
public func withDeadline<Result: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = DeadlineRace<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            guard race.start(continuation) else { return }
            let work = Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            // The time-out is declared from a task, as the work finishes in one: a starved
            // cooperative pool delays both alike instead of failing calls that are done but
            // not yet resumed.
            let timer = DeadlineTimer(after: limit) { Task { race.finish(.failure(DeadlineExceeded(limit: limit))) } }
            race.track(work, timer: timer)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// Who of the operation, the timer and a cancellation comes first: the first result resumes
/// the caller, the others are dropped, the operation is cancelled and the timer called off.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var work: Task<Void, Never>?
        var timer: DeadlineTimer?
        var finished = false
    }

    private let state = Mutex(State())

    /// Keeps the caller's continuation; false (having resumed it) when the caller was
    /// cancelled before the race began.
    func start(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if state.finished { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func track(_ work: Task<Void, Never>, timer: DeadlineTimer) {
        let finished = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.finished
        }
        if finished {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<Value, any Error>) {
        let (continuation, work, timer) = state.withLock {
            state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?, DeadlineTimer?) in
            if state.finished { return (nil, nil, nil) }
            state.finished = true
            defer {
                state.continuation = nil
                state.work = nil
                state.timer = nil
            }
            return (state.continuation, state.work, state.timer)
        }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
