import Testing

@testable import GatewayStore

/// Cached reads are good only while the change listener is connected and nothing changed
/// since the read began.
struct CachedReadsTests {
    @Test func nothingIsCachedWithoutAListener() async {
        let hub = ChangeHub()
        let cache = CachedReads<String, Int>(hub: hub)
        await cache.store(1, for: "a", mark: await cache.mark())
        #expect(await cache.value(for: "a") == nil)
    }

    @Test func aChangeNoticeDropsEntriesReadBeforeIt() async {
        let hub = ChangeHub()
        await hub.setListening(true)
        let cache = CachedReads<String, Int>(hub: hub)
        let mark = await cache.mark()
        await cache.store(1, for: "a", mark: mark)
        #expect(await cache.value(for: "a") == 1)
        // Other topics change nothing.
        await hub.publish(.outbox)
        await hub.publish(.session("ps_1"))
        #expect(await cache.value(for: "a") == 1)
        await hub.publish(.credentials)
        #expect(await cache.value(for: "a") == nil)
    }

    @Test func aReadThatRacedAChangeIsNotKept() async {
        let hub = ChangeHub()
        await hub.setListening(true)
        let cache = CachedReads<String, Int>(hub: hub)
        let mark = await cache.mark()
        // The change commits while the value is being read.
        await hub.publish(.credentials)
        await cache.store(1, for: "a", mark: mark)
        #expect(await cache.value(for: "a") == nil)
    }

    @Test func aLostListenerDropsEverything() async {
        let hub = ChangeHub()
        await hub.setListening(true)
        let cache = CachedReads<String, Int>(hub: hub)
        await cache.store(1, for: "a", mark: await cache.mark())
        await hub.setListening(false)
        #expect(await cache.value(for: "a") == nil)
        // Reconnected: what was read before may have missed notices.
        await hub.setListening(true)
        #expect(await cache.value(for: "a") == nil)
    }

    @Test func entriesExpireAndTheCapacityHolds() async throws {
        let hub = ChangeHub()
        await hub.setListening(true)
        let short = CachedReads<String, Int>(hub: hub, lifetime: .milliseconds(1))
        await short.store(1, for: "a", mark: await short.mark())
        try await Task.sleep(for: .milliseconds(20))
        #expect(await short.value(for: "a") == nil)
        let small = CachedReads<Int, Int>(hub: hub, capacity: 2)
        let mark = await small.mark()
        for key in 0..<3 { await small.store(key, for: key, mark: mark) }
        #expect(await small.value(for: 2) == 2)
        #expect(await small.value(for: 0) == nil)
    }
}
