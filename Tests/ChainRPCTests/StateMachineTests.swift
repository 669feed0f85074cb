import ChainRPC
import Testing

@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now

    @Test func opensAfterThresholdFailures() {
        var breaker = CircuitBreaker(threshold: 3, openFor: .seconds(2), maxOpenFor: .seconds(60))
        #expect(breaker.state == .closed)
        let allowed1 = breaker.allowsRequest(now: start)
        #expect(allowed1)
        breaker.recordFailure(now: start)
        breaker.recordFailure(now: start)
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 2)
        #expect(breaker.isHealthy)
        breaker.recordFailure(now: start)
        #expect(breaker.state == .open(until: start + .seconds(2)))
        #expect(breaker.consecutiveFailures == 3)
        #expect(!breaker.isHealthy)
    }

    @Test func successResetsTheCount() {
        var breaker = CircuitBreaker(threshold: 3, openFor: .seconds(2))
        breaker.recordFailure(now: start)
        breaker.recordFailure(now: start)
        breaker.recordSuccess()
        breaker.recordFailure(now: start)
        breaker.recordFailure(now: start)
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 2)
    }

    @Test func rejectsUntilOpenTimePassesThenProbes() {
        var breaker = CircuitBreaker(threshold: 2, openFor: .seconds(2))
        breaker.recordFailure(now: start)
        breaker.recordFailure(now: start)
        let allowed2 = breaker.allowsRequest(now: start)
        #expect(!allowed2)
        let allowed3 = breaker.allowsRequest(now: start + .milliseconds(1_999))
        #expect(!allowed3)
        #expect(breaker.state == .open(until: start + .seconds(2)))
        let allowed4 = breaker.allowsRequest(now: start + .seconds(2))
        #expect(allowed4)
        #expect(breaker.state == .halfOpen(probeAt: start + .seconds(2)))
        #expect(!breaker.isHealthy)
        let second = breaker.allowsRequest(now: start + .seconds(2) + .milliseconds(10))
        #expect(!second, "one probe at a time while half-open")
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(breaker.isHealthy)
    }

    @Test func failedProbeReopensForTwiceAsLong() {
        var breaker = CircuitBreaker(threshold: 1, openFor: .seconds(2), maxOpenFor: .seconds(5))
        breaker.recordFailure(now: start)
        #expect(breaker.state == .open(until: start + .seconds(2)))

        let probe1 = start + .seconds(3)
        let allowed5 = breaker.allowsRequest(now: probe1)
        #expect(allowed5)
        breaker.recordFailure(now: probe1)
        #expect(breaker.state == .open(until: probe1 + .seconds(4)))
        let allowed6 = breaker.allowsRequest(now: probe1 + .milliseconds(3_999))
        #expect(!allowed6)

        // Doubling stops at the maximum.
        let probe2 = probe1 + .seconds(4)
        let allowed7 = breaker.allowsRequest(now: probe2)
        #expect(allowed7)
        breaker.recordFailure(now: probe2)
        #expect(breaker.state == .open(until: probe2 + .seconds(5)))

        // A successful probe closes it and the next opening is short again.
        let probe3 = probe2 + .seconds(5)
        let allowed8 = breaker.allowsRequest(now: probe3)
        #expect(allowed8)
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        breaker.recordFailure(now: probe3)
        #expect(breaker.state == .open(until: probe3 + .seconds(2)))
    }

    @Test func aFalseAnswerOpensAtOnceForTwiceAsLong() {
        var breaker = CircuitBreaker(threshold: 3, openFor: .seconds(2), maxOpenFor: .seconds(5))
        breaker.recordFalseAnswer(now: start)
        #expect(breaker.state == .open(until: start + .seconds(4)))
        #expect(breaker.consecutiveFailures == 1)
        let probe = start + .seconds(4)
        let allowed = breaker.allowsRequest(now: probe)
        #expect(allowed)
        breaker.recordFalseAnswer(now: probe)
        #expect(breaker.state == .open(until: probe + .seconds(5)), "doubling stops at the maximum")
        breaker.recordSuccess()
        breaker.recordFalseAnswer(now: probe)
        #expect(breaker.state == .open(until: probe + .seconds(4)))
    }
}

@Suite struct HeadTrackerTests {
    @Test func regressionsAreCountedPerProvider() {
        var tracker = HeadTracker()
        tracker.record(head: 100, provider: 0)
        tracker.record(head: 98, provider: 0)
        tracker.record(head: 101, provider: 0)
        tracker.record(head: 50, provider: 1)
        tracker.record(head: 50, provider: 1)
        #expect(tracker.regressions == [0: 1])
        #expect(tracker.reported == [0: 101, 1: 50])
        #expect(tracker.highest == [0: 101, 1: 50])
    }

    @Test func oneProviderGivesItsHeadAndNeverGoesBack() {
        var tracker = HeadTracker()
        let safe1 = tracker.updateSafeHead(among: [])
        #expect(safe1 == nil)
        tracker.record(head: 100, provider: 0)
        let safe2 = tracker.updateSafeHead(among: [0])
        #expect(safe2 == 100)
        tracker.record(head: 97, provider: 0)
        let safe3 = tracker.updateSafeHead(among: [0])
        #expect(safe3 == 100)
        #expect(tracker.safeHead == 100)
        tracker.record(head: 103, provider: 0)
        let safe4 = tracker.updateSafeHead(among: [0])
        #expect(safe4 == 103)
    }

    @Test func severalProvidersGiveTheSecondHighest() {
        var tracker = HeadTracker()
        tracker.record(head: 100, provider: 0)
        tracker.record(head: 95, provider: 1)
        tracker.record(head: 97, provider: 2)
        let safe5 = tracker.updateSafeHead(among: [0, 1, 2])
        #expect(safe5 == 97)
        // One provider far ahead alone does not move the safe head.
        tracker.record(head: 5_000, provider: 0)
        let safe6 = tracker.updateSafeHead(among: [0, 1, 2])
        #expect(safe6 == 97)
        // Providers that did not answer do not count.
        tracker.record(head: 120, provider: 1)
        let safe7 = tracker.updateSafeHead(among: [0, 1])
        #expect(safe7 == 120)
        // Lower reports never lower it.
        tracker.record(head: 90, provider: 0)
        tracker.record(head: 90, provider: 1)
        let safe8 = tracker.updateSafeHead(among: [0, 1])
        #expect(safe8 == 120)
        tracker.forget(provider: 1)
        #expect(tracker.reported[1] == nil)
        #expect(tracker.highest[1] == 120)
    }

    @Test func withSeveralProvidersOneAnswerDoesNotMoveTheSafeHead() {
        var tracker = HeadTracker()
        tracker.record(head: 100, provider: 0)
        let alone = tracker.updateSafeHead(among: [0], required: 2)
        #expect(alone == nil)
        tracker.record(head: 98, provider: 1)
        let both = tracker.updateSafeHead(among: [0, 1], required: 2)
        #expect(both == 98)
        tracker.record(head: 500, provider: 0)
        let again = tracker.updateSafeHead(among: [0], required: 2)
        #expect(again == 98)
    }
}

@Suite struct LogRangeSizerTests {
    @Test func growsByAnEighthUpToTheMaximum() {
        var sizer = LogRangeSizer(initial: 2_000, max: 3_000)
        #expect(sizer.span == 2_000)
        sizer.succeeded()
        #expect(sizer.span == 2_250)
        sizer.succeeded()
        #expect(sizer.span == 2_531)
        sizer.succeeded()
        #expect(sizer.span == 2_847)
        sizer.succeeded()
        #expect(sizer.span == 3_000)
        sizer.succeeded()
        #expect(sizer.span == 3_000)
    }

    @Test func smallSpansStillGrow() {
        var sizer = LogRangeSizer(initial: 1, max: 10)
        sizer.succeeded()
        #expect(sizer.span == 2)
        sizer.succeeded()
        #expect(sizer.span == 3)
    }

    @Test func initialIsClampedToTheMaximumAndAtLeastOne() {
        #expect(LogRangeSizer(initial: 50_000, max: 10_000).span == 10_000)
        #expect(LogRangeSizer(initial: 0, max: 10_000).span == 1)
    }

    @Test func halvesWithoutASuggestion() {
        var sizer = LogRangeSizer(initial: 2_000, max: 10_000)
        sizer.tooLarge(requested: 2_000, suggested: nil)
        #expect(sizer.span == 1_000)
        sizer.tooLarge(requested: 1_000, suggested: nil)
        #expect(sizer.span == 500)
        sizer.tooLarge(requested: 1, suggested: nil)
        #expect(sizer.span == 1)
    }

    @Test func takesASuggestedRange() {
        var sizer = LogRangeSizer(initial: 2_000, max: 10_000)
        sizer.tooLarge(requested: 2_000, suggested: 7466...7487)
        #expect(sizer.span == 22)
        // A suggestion at least as large as the refused request still shrinks it.
        sizer.tooLarge(requested: 22, suggested: 0...999)
        #expect(sizer.span == 21)
    }
}

@Suite struct RetryDelayTests {
    @Test func retryAfterIsHonouredAndCapped() {
        #expect(retryDelay(attempt: 0, retryAfter: 2, base: .milliseconds(100), cap: .seconds(5)) == .seconds(2))
        #expect(retryDelay(attempt: 4, retryAfter: 0.25, base: .milliseconds(100), cap: .seconds(5)) == .milliseconds(250))
        #expect(retryDelay(attempt: 0, retryAfter: 120, base: .milliseconds(100), cap: .seconds(5)) == .seconds(5))
        #expect(retryDelay(attempt: 0, retryAfter: 0, base: .milliseconds(100), cap: .seconds(5)) == .zero)
    }

    @Test func exponentialOtherwise() {
        let base = Duration.milliseconds(100)
        #expect(retryDelay(attempt: 0, retryAfter: nil, base: base, cap: .seconds(5)) == .milliseconds(100))
        #expect(retryDelay(attempt: 1, retryAfter: nil, base: base, cap: .seconds(5)) == .milliseconds(200))
        #expect(retryDelay(attempt: 3, retryAfter: nil, base: base, cap: .seconds(5)) == .milliseconds(800))
        #expect(retryDelay(attempt: 6, retryAfter: nil, base: base, cap: .seconds(5)) == .seconds(5))
        #expect(retryDelay(attempt: 1_000, retryAfter: nil, base: base, cap: .seconds(5)) == .seconds(5))
        // A negative Retry-After is ignored.
        #expect(retryDelay(attempt: 2, retryAfter: -1, base: base, cap: .seconds(5)) == .milliseconds(400))
    }
}
