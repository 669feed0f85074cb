import Synchronization
import Testing

@testable import GatewayStore

/// Something a timer's callback holds, to see when the timer lets go of it.
final class Held: Sendable {}

@Suite struct TimerTests {
    static let durations: [(Duration, Int64)] = [
        (.zero, 0),
        (.seconds(-5), 0),
        (.milliseconds(-1), 0),
        (.nanoseconds(1), 1),
        (.milliseconds(1_500), 1_500_000_000),
        (.seconds(60), 60_000_000_000),
        (.seconds(9_223_372_036), 9_223_372_036_000_000_000),
        (.seconds(9_223_372_037), .max),
        (.seconds(Int64.max), .max),
    ]

    @Test(arguments: durations.indices)
    func nanosecondsAreClamped(_ index: Int) {
        let (duration, nanoseconds) = Self.durations[index]
        #expect(DeadlineTimer.nanoseconds(duration) == nanoseconds)
    }

    @Test func aTimerFires() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            _ = DeadlineTimer(after: .milliseconds(1)) { continuation.resume() }
        }
    }

    /// A cancelled timer never fires and lets go of what its callback holds at once, not at the
    /// time it was due (an hour here).
    @Test func aCancelledTimerIsDroppedAtOnce() async throws {
        let fired = Atomic<Bool>(false)
        weak var released: Held?
        do {
            let held = Held()
            released = held
            let timer = DeadlineTimer(after: .seconds(3_600)) {
                _ = held
                fired.store(true, ordering: .relaxed)
            }
            timer.cancel()
        }
        // The event loop drops the callback on its own thread: wait for it, boundedly.
        for _ in 0..<2_000 where released != nil { try await Task.sleep(for: .milliseconds(5)) }
        #expect(released == nil)
        #expect(fired.load(ordering: .relaxed) == false)
    }

    @Test func aSleepEnds() async throws {
        try await cancellableSleep(for: .milliseconds(1))
    }

    /// A cancelled hour-long sleep throws `CancellationError` (the test would hang otherwise),
    /// whether it was cancelled before it began or while it slept.
    @Test(arguments: [false, true])
    func aCancelledSleepThrows(beforeItBegins: Bool) async {
        let task = Task {
            if beforeItBegins { withUnsafeCurrentTask { $0?.cancel() } }
            try await cancellableSleep(for: .seconds(3_600))
        }
        if !beforeItBegins { task.cancel() }
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }
}
