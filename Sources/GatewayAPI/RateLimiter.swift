import Foundation

/// Per-key request limits in fixed one-minute windows, in this process's memory. (Several
/// gateway processes each apply the limit; a shared limit would cost a database write per
/// request.)
public actor RateLimiter {
    public struct Decision: Sendable, Equatable {
        public let limit: Int
        public let remaining: Int
        /// Unix seconds when the window resets.
        public let reset: Int64
        public let allowed: Bool
    }

    struct Window {
        var start: Int64
        var count: Int
    }

    private var windows: [String: Window] = [:]
    private let windowSeconds: Int64 = 60
    private var lastSweep: Int64 = 0
    /// Counters kept at most: a flood of new client addresses cannot grow memory without bound
    /// (new keys are refused until the next window).
    private let maxKeys: Int

    public init(maxKeys: Int = 200_000) { self.maxKeys = maxKeys }

    /// Counts one request of `key` against `limit` per minute; `limit` 0 means no limit.
    public func take(key: String, limit: Int, now: Int64 = Int64(Date().timeIntervalSince1970)) -> Decision? {
        guard limit > 0 else { return nil }
        let start = now - now % windowSeconds
        sweep(now: now)
        guard windows[key] != nil || windows.count < maxKeys else {
            return Decision(limit: limit, remaining: 0, reset: start + windowSeconds, allowed: false)
        }
        var window = windows[key] ?? Window(start: start, count: 0)
        if window.start != start { window = Window(start: start, count: 0) }
        let allowed = window.count < limit
        if allowed { window.count += 1 }
        windows[key] = window
        return Decision(limit: limit, remaining: max(0, limit - window.count), reset: start + windowSeconds, allowed: allowed)
    }

    /// Drops windows that ended, at most once a minute.
    private func sweep(now: Int64) {
        guard now - lastSweep >= windowSeconds else { return }
        lastSweep = now
        let current = now - now % windowSeconds
        windows = windows.filter { $0.value.start == current }
    }
}
