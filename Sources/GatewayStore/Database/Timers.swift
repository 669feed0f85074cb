import NIOCore
import NIOPosix
import Synchronization

/// A callback due after a delay, on NIO's shared event loops, that can be called off.
///
/// Made for deadlines that are almost always called off: a call's time limit, a wait for a
/// change notice. A cancelled `Task.sleep` keeps its task and its dispatch timer alive until
/// the time it was due, so one deadline per database call or per request held tens of
/// megabytes under load (60 s of them); a cancelled timer here is dropped at once.
public struct DeadlineTimer: Sendable {
    let scheduled: Scheduled<Void>

    /// Calls `fire` once `delay` has passed, unless ``cancel()`` comes first. A negative delay
    /// fires at once; delays beyond about 292 years are clamped.
    public init(after delay: Duration, _ fire: @escaping @Sendable () -> Void) {
        scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Self.nanoseconds(delay))) { fire() }
    }

    /// Calls the timer off; nothing happens if it already fired.
    public func cancel() { scheduled.cancel() }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, overflowed) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowed ? .max : max(0, sum)
    }
}

/// Sleeps for `duration` like `Task.sleep(for:)`, throwing `CancellationError` when the task is
/// cancelled, but what a cancelled sleep holds is released at once (``DeadlineTimer``).
public func cancellableSleep(for duration: Duration) async throws {
    let sleep = Sleep()
    try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            sleep.start(continuation, after: duration)
        }
    } onCancel: {
        sleep.end(.failure(CancellationError()))
    }
}

/// One sleep: the continuation, its timer, and whether it ended (by the timer or by a cancellation).
private final class Sleep: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var timer: DeadlineTimer?
        var ended = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Void, any Error>, after duration: Duration) {
        let cancelledBefore = state.withLock { state -> Bool in
            if state.ended { return true }
            state.continuation = continuation
            return false
        }
        if cancelledBefore {
            continuation.resume(throwing: CancellationError())
            return
        }
        let timer = DeadlineTimer(after: duration) { [self] in end(.success(())) }
        let ended = state.withLock { state -> Bool in
            state.timer = timer
            return state.ended
        }
        if ended { timer.cancel() }
    }

    func end(_ result: Result<Void, any Error>) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, DeadlineTimer?) in
            if state.ended { return (nil, nil) }
            state.ended = true
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
    }
}
