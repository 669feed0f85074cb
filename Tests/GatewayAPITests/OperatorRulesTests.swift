import Foundation
import GatewayAPI
import GatewayServer
import Logging
import Synchronization
import Testing

/// The pure parts of the operator's view: the registry's text format, the readiness rules,
/// and the JSON log line.
struct OperatorRulesTests {
    @Test("the registry renders HELP, TYPE and every series in the Prometheus text format, sorted, with escaped labels")
    func textFormat() {
        let registry = MetricsRegistry(families: [
            MetricFamily("gateway_b_total", .counter, "Things counted.", labels: ["kind"]),
            MetricFamily("gateway_a", .gauge, "A level;\nwith a newline and a \\ backslash."),
            MetricFamily("gateway_c_seconds", .histogram, "Durations.", buckets: [1, 0.5]),
        ])
        registry.touch("gateway_b_total", ["kind": "z"])
        registry.add("gateway_b_total", ["kind": "a\"b\\c\nd"], 2)
        registry.add("gateway_b_total", ["kind": "z"], -5)
        registry.add("gateway_b_total", ["kind": "z", "unknown": "dropped"])
        registry.set("gateway_a", [:], 2.5)
        registry.observe("gateway_c_seconds", [:], 0.25)
        registry.observe("gateway_c_seconds", [:], 0.75)
        registry.observe("gateway_c_seconds", [:], 3)
        registry.observe("gateway_c_seconds", [:], .nan)
        registry.add("gateway_undeclared_total")
        #expect(
            registry.render() == """
                # HELP gateway_a A level;\\nwith a newline and a \\\\ backslash.
                # TYPE gateway_a gauge
                gateway_a 2.5
                # HELP gateway_b_total Things counted.
                # TYPE gateway_b_total counter
                gateway_b_total{kind="a\\"b\\\\c\\nd"} 2
                gateway_b_total{kind="z"} 1
                # HELP gateway_c_seconds Durations.
                # TYPE gateway_c_seconds histogram
                gateway_c_seconds_bucket{le="0.5"} 1
                gateway_c_seconds_bucket{le="1"} 2
                gateway_c_seconds_bucket{le="+Inf"} 3
                gateway_c_seconds_sum 4
                gateway_c_seconds_count 3

                """)
        #expect(registry.value("gateway_b_total", ["kind": "z"]) == 1)
        #expect(registry.value("gateway_undeclared_total") == nil)
    }

    @Test("swift-metrics reaches the registry: counters, gauges, and timers in seconds")
    func factory() {
        let registry = MetricsRegistry(families: MetricCatalog.families)
        let factory = RegistryMetricsFactory(registry: registry)
        factory.makeCounter(label: "gateway_rpc_requests_total", dimensions: [("network", "n"), ("provider", "p"), ("outcome", "ok")])
            .increment(by: 3)
        factory.makeRecorder(label: "gateway_monitor_lag_blocks", dimensions: [("network", "n")], aggregate: false).record(Int64(7))
        factory.makeTimer(label: "gateway_rpc_request_duration_seconds", dimensions: [("network", "n"), ("provider", "p")])
            .recordNanoseconds(20_000_000)
        factory.makeCounter(label: "gateway_new_thing_total", dimensions: []).increment(by: 1)
        #expect(registry.value("gateway_rpc_requests_total", ["network": "n", "provider": "p", "outcome": "ok"]) == 3)
        #expect(registry.value("gateway_monitor_lag_blocks", ["network": "n"]) == 7)
        #expect(registry.value("gateway_rpc_request_duration_seconds", ["network": "n", "provider": "p"]) == 0.02)
        #expect(registry.render().contains("gateway_rpc_request_duration_seconds_bucket{network=\"n\",provider=\"p\",le=\"0.025\"} 1\n"))
        #expect(registry.value("gateway_new_thing_total") == 1)
        #expect(registry.family("gateway_new_thing_total")?.kind == .counter)
    }

    static func network(
        healthy: Bool = true, head: UInt64? = 100, scanned: UInt64? = 100, scannedAt: Int64? = 1_000, halt: String? = nil
    ) -> OperatorSnapshot.Network {
        OperatorSnapshot.Network(
            name: "polygon", chainId: 137, head: head, scanned: scanned, scannedAt: scannedAt, haltReason: halt,
            providers: [
                OperatorSnapshot.Provider(
                    name: "https://a.example/", healthy: healthy, breaker: healthy ? "closed" : "open", outOfSync: false, head: head,
                    latencyMilliseconds: 20, lastFailure: nil)
            ])
    }

    /// (database up, migrated, network, now) → the failing check's reason, nil when ready.
    static let readinessCases: [(Bool, Bool?, OperatorSnapshot.Network, Int64, String?)] = [
        (true, true, network(), 2_000, nil),
        (false, nil, network(), 2_000, "the database does not answer"),
        (true, false, network(), 2_000, "the database is not migrated to this version (run gateway migrate)"),
        (true, true, network(healthy: false), 2_000, "no healthy provider"),
        (true, true, network(halt: "deep reorg"), 2_000, "the monitor is halted; run gateway monitor rewind"),
        // Head ahead, checkpoint still for 300 s: stalled; for 299 s: not yet.
        (true, true, network(head: 105, scannedAt: 1_000), 1_300, "the monitor has not moved for 300 s while the head is ahead"),
        (true, true, network(head: 105, scannedAt: 1_000), 1_299, nil),
        // Nothing new on the chain: an old checkpoint is not a stall.
        (true, true, network(head: 100, scannedAt: 0), 100_000, nil),
        // A monitor that has no checkpoint yet, or a process that does not know the head.
        (true, true, network(scanned: nil, scannedAt: nil), 100_000, nil),
        (true, true, network(head: nil), 100_000, nil),
    ]

    @Test("readiness: the database, a healthy provider per network, no halted or stalled monitor", arguments: readinessCases.indices)
    func readiness(_ index: Int) {
        let (up, migrated, network, now, reason) = Self.readinessCases[index]
        let snapshot = OperatorSnapshot(
            database: .init(up: up, migrated: migrated), networks: [network], webhooks: nil, now: now, stallSeconds: 300)
        #expect(snapshot.ready == (reason == nil))
        #expect(snapshot.checks.first { !$0.ok }?.reason == reason)
        #expect(snapshot.checks.map(\.name) == ["database", "network:polygon"])
    }

    @Test("a JSON log line: time, level, logger, message, then the metadata as fields, on one line")
    func jsonLogLine() {
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_764_633_600.125), level: .warning, label: "gateway",
            message: "poll failed; retrying\nagain",
            metadata: [
                "request_id": "req_1", "network": "polygon", "message": "shadowed", "failures": .stringConvertible(3),
                "providers": .array(["a", "b"]), "extra": .dictionary(["k": "v"]),
            ])
        #expect(
            line
                == #"{"time":"2025-12-02T00:00:00.125Z","level":"warning","logger":"gateway","message":"poll failed; retrying\nagain","#
                + #""extra":{"k":"v"},"failures":"3","metadata.message":"shadowed","network":"polygon","providers":["a","b"],"#
                + #""request_id":"req_1"}"# + "\n")
    }

    @Test("a logger on the JSON handler merges its own metadata with each entry's, and honours its level")
    func jsonLogger() {
        let lines = Lines()
        var logger = Logger(label: "gateway.monitor") { label in JSONLogHandler(label: label) { lines.append($0) } }
        logger[metadataKey: "network"] = "devnet"
        logger.info("monitor started", metadata: ["lease": "4"])
        logger.debug("not written at info")
        let written = lines.all
        #expect(written.count == 1)
        let object = try? JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: String]
        #expect(object?["message"] == "monitor started")
        #expect(object?["network"] == "devnet")
        #expect(object?["lease"] == "4")
        #expect(object?["level"] == "info")
        #expect(object?["logger"] == "gateway.monitor")
        #expect(written[0].hasSuffix("}\n") && written[0].filter { $0 == "\n" }.count == 1)
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }
}
