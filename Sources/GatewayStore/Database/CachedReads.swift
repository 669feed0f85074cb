import Logging

/// Reads that every request repeats (the API key, its merchant and addresses), kept in memory
/// for as long as the database says nothing changed.
///
/// An entry is good while the process's change listener is connected and no `credentials`
/// notice (sent by the triggers of migration 0008 when a key, a merchant or an address
/// changes) arrived since the read began; a revoked key is therefore refused by every process
/// as soon as the revocation's notice arrives, and by the revoking process at once
/// (``invalidate()``). Without a listener nothing is cached. Entries also expire after
/// `lifetime`, and at most `capacity` are kept.
public actor CachedReads<Key: Hashable & Sendable, Value: Sendable> {
    struct Entry {
        let value: Value
        let generation: UInt64
        let readAt: ContinuousClock.Instant
    }

    let hub: ChangeHub
    let lifetime: Duration
    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private let clock = ContinuousClock()

    public init(hub: ChangeHub, lifetime: Duration = .seconds(60), capacity: Int = 10_000) {
        self.hub = hub
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached value, if it is still good.
    public func value(for key: Key) async -> Value? {
        guard let entry = entries[key] else { return nil }
        guard let last = await hub.lastChange(of: .credentials), last <= entry.generation, clock.now - entry.readAt < lifetime else {
            entries.removeValue(forKey: key)
            return nil
        }
        return entry.value
    }

    /// Take before reading: a change committed while reading makes the entry stale at once.
    public func mark() async -> UInt64? { await hub.lastChange(of: .credentials) }

    /// Keeps `value`, read after `mark` (nothing is kept without a mark: no listener).
    public func store(_ value: Value, for key: Key, mark: UInt64?) {
        guard let mark else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(value: value, generation: mark, readAt: clock.now)
    }

    /// Drops everything (this process changed a key, a merchant or an address).
    public func invalidate() { entries.removeAll() }
}
