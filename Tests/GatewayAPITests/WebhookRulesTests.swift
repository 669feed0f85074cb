import GatewayDomain
import GatewayStore
import Testing
import WebhookDelivery

@Suite("Webhook rules")
struct WebhookRulesTests {
    @Test("retries: +10 s, +60 s, +10 min, +1 h, +6 h, then daily, until the horizon")
    func schedule() {
        let schedule = RetrySchedule()
        #expect((1...8).map { schedule.nextDelay(afterAttempts: $0, age: 0) } == [10, 60, 600, 3600, 21_600, 86_400, 86_400, 86_400])
        #expect(schedule.nextDelay(afterAttempts: 1, age: 259_190) == 10)
        #expect(schedule.nextDelay(afterAttempts: 1, age: 259_191) == nil)
        #expect(schedule.nextDelay(afterAttempts: 1, age: 0, retryAfter: 120) == 120)
        #expect(schedule.nextDelay(afterAttempts: 3, age: 0, retryAfter: 5) == 600)
        #expect([408, 429, 500, 502, 503, 599].allSatisfy(RetrySchedule.isRetryable(status:)))
        #expect(![200, 301, 302, 400, 401, 404, 410, 422].contains(where: RetrySchedule.isRetryable(status:)))
    }

    @Test("after an attempt: 2xx succeeds, refusals fail at once, the rest is retried until the horizon")
    func outcomes() {
        let schedule = RetrySchedule(horizonSeconds: 3600)
        #expect(schedule.outcome(statusCode: 204, attempts: 1, age: 0) == .succeeded)
        #expect(schedule.outcome(statusCode: 404, attempts: 1, age: 0) == .failed)
        #expect(schedule.outcome(statusCode: 302, attempts: 1, age: 0) == .failed)
        #expect(schedule.outcome(statusCode: 503, attempts: 2, age: 0) == .retry(afterSeconds: 60))
        #expect(schedule.outcome(statusCode: 429, attempts: 1, age: 0, retryAfter: 30) == .retry(afterSeconds: 30))
        #expect(schedule.outcome(statusCode: nil, attempts: 3, age: 100) == .retry(afterSeconds: 600))
        #expect(schedule.outcome(statusCode: nil, attempts: 4, age: 100) == .failed)
    }

    @Test(
        "forbidden targets: loopback, private, link-local, metadata, reserved",
        arguments: [
            ([127, 0, 0, 1], true), ([10, 1, 2, 3], true), ([172, 16, 0, 1], true), ([172, 31, 255, 255], true), ([172, 32, 0, 1], false),
            ([192, 168, 1, 1], true), ([169, 254, 169, 254], true), ([100, 64, 0, 1], true), ([0, 0, 0, 0], true), ([224, 0, 0, 1], true),
            ([8, 8, 8, 8], false), ([93, 184, 216, 34], false),
        ] as [([UInt8], Bool)])
    func ipv4(address: [UInt8], forbidden: Bool) {
        #expect(TargetAddress.isForbidden(ipv4: address) == forbidden)
    }

    @Test("forbidden IPv6 targets, and IPv4-mapped ones judged as IPv4")
    func ipv6() {
        func v6(_ prefix: [UInt8], _ suffix: [UInt8]) -> [UInt8] {
            prefix + [UInt8](repeating: 0, count: 16 - prefix.count - suffix.count) + suffix
        }
        #expect(TargetAddress.isForbidden(ipv6: v6([], [1])))
        #expect(TargetAddress.isForbidden(ipv6: v6([0xFE, 0x80], [1])))
        #expect(TargetAddress.isForbidden(ipv6: v6([0xFC, 0x00], [1])))
        #expect(TargetAddress.isForbidden(ipv6: v6([], [0xFF, 0xFF, 127, 0, 0, 1])))
        #expect(!TargetAddress.isForbidden(ipv6: v6([], [0xFF, 0xFF, 8, 8, 8, 8])))
        #expect(!TargetAddress.isForbidden(ipv6: v6([0x26, 0x06, 0x47, 0x00], [0x11, 0x11])))
    }

    @Test("target URLs: http(s) only, https for live, no private hosts unless allowed; the checked address is the one pinned")
    func targets() async throws {
        await #expect(throws: WebhookTarget.Refusal.malformed) {
            try await WebhookTarget.check("ftp://shop.example/hook", livemode: false, allowPrivate: false)
        }
        await #expect(throws: WebhookTarget.Refusal.httpsRequired) {
            try await WebhookTarget.check("http://8.8.8.8/hook", livemode: true, allowPrivate: false)
        }
        await #expect(throws: WebhookTarget.Refusal.forbiddenAddress("127.0.0.1")) {
            try await WebhookTarget.check("http://127.0.0.1:8080/hook", livemode: false, allowPrivate: false)
        }
        await #expect(throws: WebhookTarget.Refusal.forbiddenAddress("localhost")) {
            try await WebhookTarget.check("http://localhost/hook", livemode: false, allowPrivate: false)
        }
        await #expect(throws: WebhookTarget.Refusal.forbiddenAddress("169.254.169.254")) {
            try await WebhookTarget.check("http://169.254.169.254/latest/meta-data", livemode: false, allowPrivate: false)
        }
        let local = try await WebhookTarget.check("http://127.0.0.1:8080/hook", livemode: false, allowPrivate: true)
        #expect(local == WebhookTarget.Pinned(host: "127.0.0.1", address: "127.0.0.1"))
        let named = try await WebhookTarget.check("http://localhost:8080/hook", livemode: false, allowPrivate: true)
        #expect(named.host == "localhost" && ["127.0.0.1", "0:0:0:0:0:0:0:1"].contains(named.address))
        let remote = try await WebhookTarget.check("https://8.8.8.8/hook", livemode: true, allowPrivate: false)
        #expect(remote.address == "8.8.8.8")
    }

    @Test("signatures: HMAC-SHA256 over timestamp.body, checked in constant time, replays refused")
    func signatures() throws {
        let body = Array(#"{"a":1}"#.utf8)
        // Computed independently with Python's hmac module.
        let expected = "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        #expect(WebhookSignature.sign(secret: "whsec_test", timestamp: 1_700_000_000, body: body) == expected)
        try WebhookSignature.verify(secret: "whsec_test", timestamp: 1_700_000_000, header: expected, body: body, now: 1_700_000_100)
        let two = WebhookSignature.header(secrets: ["whsec_new", "whsec_test"], timestamp: 1_700_000_000, body: body)
        #expect(two.split(separator: ",").count == 2)
        try WebhookSignature.verify(secret: "whsec_test", timestamp: 1_700_000_000, header: two, body: body, now: 1_700_000_000)
        try WebhookSignature.verify(secret: "whsec_new", timestamp: 1_700_000_000, header: two, body: body, now: 1_700_000_000)
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(
                secret: "whsec_test", timestamp: 1_700_000_000, header: expected, body: Array(#"{"a":2}"#.utf8), now: 1_700_000_000)
        }
        #expect(throws: WebhookSignature.Failure.mismatch) {
            try WebhookSignature.verify(secret: "whsec_other", timestamp: 1_700_000_000, header: expected, body: body, now: 1_700_000_000)
        }
        #expect(throws: WebhookSignature.Failure.stale(ageSeconds: 301)) {
            try WebhookSignature.verify(secret: "whsec_test", timestamp: 1_700_000_000, header: expected, body: body, now: 1_700_000_301)
        }
        #expect(throws: WebhookSignature.Failure.malformedHeader) {
            try WebhookSignature.verify(
                secret: "whsec_test", timestamp: 1_700_000_000, header: "sha256=abc", body: body, now: 1_700_000_000)
        }
    }
}
