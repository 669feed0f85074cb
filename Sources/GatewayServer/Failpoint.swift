import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Test-only crash points. When the environment variable `GATEWAY_FAILPOINT` names a point
/// (`refund.after_commit`), the process kills itself (SIGKILL: no cleanup, no core dump, exactly
/// a crash) the first time it gets there; `NAME:N` the N-th time. Unset (always, outside tests), a point costs one comparison. The crash tests
/// use it to stop the refund sender between reserving a nonce and signing, signing and
/// committing, committing and broadcasting, and broadcasting and reading the receipt.
public enum Failpoint {
    static let armed: (name: String, count: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["GATEWAY_FAILPOINT"], !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1)
        let count = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        return (String(parts[0]), max(1, count))
    }()

    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var hits = 0
    }

    private static let counter = Counter()

    /// Kills the process if `name` is the armed point and this is its armed hit.
    public static func hit(_ name: String) {
        guard let armed, armed.name == name else { return }
        counter.lock.lock()
        counter.hits += 1
        let hits = counter.hits
        counter.lock.unlock()
        if hits >= armed.count {
            FileHandle.standardError.write(Data("failpoint \(name) reached: killing the process\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
