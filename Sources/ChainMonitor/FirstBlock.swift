/// Where a monitor that never processed a block of its network begins.
///
/// At the head, unless sessions were opened before: the gateway takes sessions as soon as its
/// API answers, and its monitor may start later (the database was away, the process restarted
/// before the monitor's first block). A payment to such a session can be mined before the
/// monitor's first poll; starting at the head would skip it for ever. So the monitor starts at
/// the first block mined since the oldest open session was created, less a margin for clocks
/// that disagree (the database's and the chain's).
public enum FirstBlock {
    /// Seconds before the oldest open session's creation that the scan begins.
    public static let clockMargin: UInt64 = 120

    /// The first block whose timestamp is at least `since − clockMargin`, found by bisection over
    /// `0...head` (about 25 block reads on Ethereum); `head` when no session is open or every
    /// block is older. Block timestamps never decrease along a chain; a provider that lies about
    /// them only moves the start, never past the head.
    public static func find(
        since: UInt64?, head: UInt64, isolation: isolated (any Actor)? = #isolation, timestamp: (UInt64) async throws -> UInt64
    ) async throws -> UInt64 {
        guard let since else { return head }
        let target = since > clockMargin ? since - clockMargin : 0
        var low: UInt64 = 0
        var high = head
        while low < high {
            let middle = low + (high - low) / 2
            if try await timestamp(middle) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
