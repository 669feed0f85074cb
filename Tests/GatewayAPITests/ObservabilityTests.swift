import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayServer
import HTTPTypes
import Logging
import Testing

/// The operator's view through the same `GatewayApp` as `gateway serve`: `/livez`, `/readyz`
/// (anonymous and verbose), `/health` and `/metrics` (every series from start-up, bounded
/// labels), on the devchain and a fresh database.
@Suite(.serialized) struct ObservabilityTests {
    static let operatorHeaders: HTTPFields = [.authorization: "Bearer \(CheckoutFixture.operatorToken)"]

    @Test("/livez answers 200 without asking anything, even while the database is away")
    func livez() async throws {
        let f = try await CheckoutFixture()
        await f.app.availability.record(databaseUp: false, failure: "test")
        let reply = try await f.call(.get, "/livez", key: .some(nil))
        #expect(reply.status == 200)
        #expect(reply.body == #"{"status":"live"}"#)
    }

    /// The fixture serves devnet (its monitor polled by hand) and ethereum, whose only provider
    /// refuses connections: the gateway is not ready for want of a healthy ethereum provider.
    @Test("/readyz: the status alone for anonymous callers and for a wrong token; every check for the operator")
    func readyzDetail() async throws {
        let f = try await CheckoutFixture()
        for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Bearer \(f.key)"]] {
            for path in ["/readyz", "/readyz?verbose"] {
                let reply = try await f.call(.get, path, key: .some(nil), headers: headers)
                #expect(reply.status == 503)
                #expect(reply.body == #"{"status":"not_ready"}"#)
            }
        }
        let reply = try await f.call(.get, "/readyz?verbose", key: .some(nil), headers: Self.operatorHeaders)
        #expect(reply.status == 503)
        let json = reply.json
        #expect(json.string("status") == "not_ready")
        let checks = json["checks"]?.array?.compactMap(\.object) ?? []
        #expect(checks.map { $0.string("name") } == ["database", "network:devnet", "network:ethereum"])
        #expect(checks.map { $0["ok"]?.boolValue } == [true, true, false])
        #expect(checks.map { $0.string("reason") } == [nil, nil, "no healthy provider"])
        #expect(json["database"]?.object?["migrated"]?.boolValue == true)
        let networks = json["networks"]?.array?.compactMap(\.object) ?? []
        #expect(networks.map { $0.string("network") } == ["devnet", "ethereum"])
        let devnet = try #require(networks.first)
        #expect(devnet["head"]?.intValue != nil)
        #expect(devnet["scanned"]?.intValue == devnet["head"]?.intValue)
        #expect(devnet["lag"]?.intValue == 0)
        #expect(devnet.string("monitor") == "running")
        #expect(devnet["healthy_providers"]?.intValue == 1)
        let ethereum = try #require(networks.last)
        #expect(ethereum["healthy_providers"]?.intValue == 0)
        let provider = try #require(ethereum["providers"]?.array?.first?.object)
        #expect(provider.string("provider") == "http://127.0.0.1:9")
        #expect(provider["healthy"]?.boolValue == false)
        #expect(provider["last_failure"]?.stringValue != nil)
        #expect(json["webhooks"]?.object?["pending"]?.intValue == 0)
        let metrics = try await f.call(.get, "/metrics", key: .some(nil)).body
        #expect(metrics.contains("\ngateway_rpc_healthy_providers{network=\"devnet\"} 1\n"))
        #expect(metrics.contains("\ngateway_rpc_healthy_providers{network=\"ethereum\"} 0\n"))
        #expect(metrics.contains("\ngateway_rpc_provider_up{network=\"ethereum\",provider=\"http://127.0.0.1:9\"} 0\n"))
    }

    @Test("/readyz: a halted monitor and a database away are not ready, with the reason for the operator")
    func readyzNotReady() async throws {
        let f = try await CheckoutFixture()
        try await f.execute("INSERT INTO monitor_halts (network, reason) VALUES ('devnet', 'a reorg deeper than the window')")
        var reply = try await f.call(.get, "/readyz", key: .some(nil))
        #expect(reply.status == 503)
        #expect(reply.body == #"{"status":"not_ready"}"#)
        reply = try await f.call(.get, "/readyz?verbose", key: .some(nil), headers: Self.operatorHeaders)
        #expect(reply.status == 503)
        let failing = (reply.json["checks"]?.array?.compactMap(\.object) ?? []).filter { $0["ok"]?.boolValue == false }
        #expect(failing.map { $0.string("name") } == ["network:devnet", "network:ethereum"])
        #expect(failing.first?.string("reason") == "the monitor is halted; run gateway monitor rewind")
        let metrics = try await f.call(.get, "/metrics", key: .some(nil)).body
        #expect(metrics.contains("\ngateway_monitor_halted{network=\"devnet\"} 1\n"))
        #expect(metrics.contains("\ngateway_ready 0\n"))

        try await f.execute("DELETE FROM monitor_halts")
        await f.app.availability.record(databaseUp: false, failure: "connection refused")
        reply = try await f.call(.get, "/readyz?verbose", key: .some(nil), headers: Self.operatorHeaders)
        #expect(reply.status == 503)
        let checks = reply.json["checks"]?.array?.compactMap(\.object) ?? []
        #expect(checks.first?.string("reason") == "the database does not answer")
        #expect(reply.json["database"]?.object?.string("failure") == "connection refused")
        #expect(reply.json["webhooks"] == .null)
    }

    @Test("/health keeps its shape as a compatible alias")
    func health() async throws {
        let f = try await CheckoutFixture()
        let reply = try await f.call(.get, "/health", key: .some(nil))
        #expect(reply.status == 200)
        #expect(reply.json.string("status") == "ok")
        let networks = reply.json["networks"]?.array?.compactMap(\.object) ?? []
        #expect(networks.map { $0.string("network") } == ["devnet", "ethereum"])
        #expect(
            networks.first.map { Set($0.members.map(\.key)) } == [
                "network", "chain_id", "head", "checkpoint", "lag", "providers", "trusts_single_provider", "monitor", "halt_reason",
            ])
    }

    /// Every family of the catalogue, each with its series for both networks, their providers
    /// and every route, before the first request.
    @Test("/metrics: every series exists from start-up, under one prefix, with HELP and TYPE")
    func seriesFromStartUp() async throws {
        let f = try await CheckoutFixture()
        let page = try await f.call(.get, "/metrics", key: .some(nil))
        #expect(page.status == 200)
        #expect(page.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        let text = page.body
        for family in MetricCatalog.families {
            #expect(text.contains("# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n"))
            #expect(family.name.hasPrefix("gateway_"))
            if family.kind == .counter { #expect(family.name.hasSuffix("_total")) }
        }
        let series = f.app.metrics.allSeries()
        let names = Set(series.map(\.name))
        // Families that only ever have a series once something happens elsewhere: none (the
        // hot-wallet families have theirs per configured wallet: none here).
        #expect(Set(MetricCatalog.families.map(\.name)).subtracting(names) == MetricCatalog.hotWalletFamilies)
        for network in ["devnet", "ethereum"] {
            for family in MetricCatalog.families
            where family.labels.contains("network") && !MetricCatalog.hotWalletFamilies.contains(family.name) {
                #expect(series.contains { $0.name == family.name && $0.labels["network"] == network }, "\(family.name) \(network)")
            }
        }
        let start = "gateway_http_requests_total{route=\"/v1/payment_sessions\",method=\"POST\",code=\"2xx\"} 0\n"
        #expect(text.contains(start))
        #expect(text.contains("gateway_rpc_requests_total{network=\"ethereum\",provider=\"http://127.0.0.1:9\",outcome=\"failover\"} 0\n"))
        #expect(text.contains("gateway_build_info{version=\"\(GatewayVersion.current)\"} 1\n"))
        #expect(text.contains("gateway_sessions_created_total 0\n"))
    }

    @Test("/metrics: requests count by matched route, never by raw URL; sessions are counted; labels stay bounded")
    func boundedLabels() async throws {
        let f = try await CheckoutFixture()
        let session = try await f.createSession()
        _ = try await f.session(session.id)
        _ = try await f.call(.get, "/v1/payment_sessions/cs_doesnotexist0000000000", key: .some(nil))
        _ = try await f.call(.get, "/no/such/page/\(UUID().uuidString)", key: .some(nil))
        let text = try await f.call(.get, "/metrics", key: .some(nil)).body
        #expect(text.contains("gateway_http_requests_total{route=\"/v1/payment_sessions\",method=\"POST\",code=\"2xx\"} 1\n"))
        #expect(text.contains("gateway_http_requests_total{route=\"/v1/payment_sessions/{id}\",method=\"GET\",code=\"2xx\"} 1\n"))
        #expect(text.contains("gateway_http_requests_total{route=\"/v1/payment_sessions/{id}\",method=\"GET\",code=\"4xx\"} 1\n"))
        #expect(text.contains("gateway_http_requests_total{route=\"unmatched\",method=\"GET\",code=\"4xx\"} 1\n"))
        #expect(text.contains("gateway_sessions_created_total 1\n"))

        let allowed: Set<String> = [
            "network", "provider", "state", "outcome", "kind", "route", "method", "code", "version", "status", "token", "level", "cause",
        ]
        let routes = Set(f.app.metrics.allSeries().compactMap { $0.labels["route"] })
        for entry in f.app.metrics.allSeries() {
            #expect(Set(entry.labels.keys).isSubset(of: allowed), "\(entry.name)")
            for value in entry.labels.values {
                #expect(!value.contains("cs_") && !value.contains(f.merchant.id) && !value.contains("0x"), "\(entry.name): \(value)")
            }
        }
        #expect(routes.allSatisfy { $0 == "unmatched" || $0.hasPrefix("/") })
        #expect(!routes.contains { $0.contains(session.id) || $0.hasPrefix("/no/such") })
    }

    @Test("a partial payment topped up to completion counts one partial and one completion")
    func sessionCounters() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        let due = created.amountDue
        let partial = try await f.pay(created.options[0], amount: UInt256(5_000_000))
        #expect(try await f.claim(created, tx: partial, signedBy: 1).status == 202)
        try await f.sync()
        try await f.pay(created.options[0], amount: due - UInt256(5_000_000), from: 2)
        try await f.sync()
        try await f.advance(2)
        #expect(try await f.session(created.id).string("status") == "completed")
        #expect(f.app.metrics.value("gateway_sessions_created_total") == 1)
        #expect(f.app.metrics.value("gateway_sessions_completed_total") == 1)
        #expect(f.app.metrics.value("gateway_session_exceptions_total", ["kind": "partial"]) == 1)
        #expect(f.app.metrics.value("gateway_session_exceptions_total", ["kind": "over"]) == 0)
        #expect(f.app.metrics.value("gateway_session_exceptions_total", ["kind": "late"]) == 0)
    }

    @Test("/metrics: a hot wallet's balances exist from start-up and follow what its sender stored; refunds by status")
    func hotWalletAndRefundSeries() async throws {
        var refunds = RefundConfiguration()
        refunds.thresholdSettings = try ["devnet:USDC:warning=1000", "devnet:usdc:critical=100.5"].map(HotWalletThresholds.Setting.parse)
        let f = try await CheckoutFixture(hotWallet: try PrivateKey(bytes: Array(repeating: 0x42, count: 32)), refunds: refunds)
        var text = try await f.call(.get, "/metrics", key: .some(nil)).body
        for token in ["native", "USDC", "USDT"] {
            #expect(text.contains("gateway_hot_wallet_balance_base_units{network=\"devnet\",token=\"\(token)\"} 0\n"))
        }
        // The thresholds as configured (USDC) or by default (the gas coin: 50 and 10 refunds of
        // 81,250 gas at devnet's 100 gwei cap; USDT: off), from start-up.
        let thresholds = [
            ("native", "warning", "4.0625e+17"), ("native", "critical", "8.125e+16"), ("USDC", "warning", "1000000000"),
            ("USDC", "critical", "100500000"), ("USDT", "warning", "0"), ("USDT", "critical", "0"),
        ]
        for (token, level, value) in thresholds {
            let series = "gateway_hot_wallet_balance_threshold_base_units{network=\"devnet\",token=\"\(token)\",level=\"\(level)\"}"
            #expect(text.contains("\n\(series) \(value)\n"), "\(series)")
        }
        #expect(text.contains("\ngateway_hot_wallet_gas_runway_refunds{network=\"devnet\"} NaN\n"), "not computed by this process yet")
        #expect(text.contains("\ngateway_refund_fee_bumps_total{network=\"devnet\"} 0\n"))
        for cause in ["nonce", "underpriced", "insufficient_funds", "rejected", "timeout", "provider", "other"] {
            #expect(text.contains("\ngateway_refund_send_errors_total{network=\"devnet\",cause=\"\(cause)\"} 0\n"), "\(cause)")
        }
        for family in MetricCatalog.hotWalletFamilies {
            #expect(!text.contains("\(family){network=\"ethereum\""), "\(family): no hot wallet on ethereum")
        }
        #expect(text.contains("gateway_refunds{status=\"pending\"} 0\n"))
        let wallet = try PrivateKey(bytes: Array(repeating: 0x42, count: 32)).address.lowercased
        try await f.execute(
            """
            INSERT INTO address_balances (network, address, asset, amount, block_number, updated_at)
            VALUES ('devnet', '\(wallet)', 'native', 1500000000000000000, 7, to_timestamp(1800000000)),
                   ('devnet', '\(wallet)', '\(f.chain.usdc.lowercased)', 250000000, 7, to_timestamp(1800000000))
            ON CONFLICT (network, address, asset) DO UPDATE SET amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at
            """)
        text = try await f.call(.get, "/metrics", key: .some(nil)).body
        #expect(
            text.contains("gateway_hot_wallet_balance_base_units{network=\"devnet\",token=\"native\"} 1.5e+18\n"),
            "1.5 ETH in wei, as Prometheus writes a float")
        #expect(text.contains("gateway_hot_wallet_balance_base_units{network=\"devnet\",token=\"USDC\"} 250000000\n"))
        #expect(text.contains("gateway_hot_wallet_balance_timestamp_seconds{network=\"devnet\",token=\"USDC\"} 1800000000\n"))
        #expect(text.contains("gateway_hot_wallet_balance_base_units{network=\"devnet\",token=\"USDT\"} 0\n"))

        // The same facts for the operator, in exact base units.
        let reply = try await f.call(.get, "/readyz?verbose", key: .some(nil), headers: Self.operatorHeaders)
        let networks = reply.json["networks"]?.array?.compactMap(\.object) ?? []
        #expect(networks.last?["hot_wallet"] == .null, "ethereum has no hot wallet")
        let hot = try #require(networks.first?["hot_wallet"]?.object)
        #expect(hot.string("address") == (try PrivateKey(bytes: Array(repeating: 0x42, count: 32))).address.checksummed)
        #expect(hot["gas_runway_refunds"] == .null)
        let balances = hot["balances"]?.array?.compactMap(\.object) ?? []
        #expect(balances.map { $0.string("token") } == ["native", "USDC", "USDT"])
        #expect(balances.map { $0.string("amount") } == ["1500000000000000000", "250000000", nil])
        #expect(balances.map { $0["read_at"]?.intValue } == [1_800_000_000, 1_800_000_000, nil])
        #expect(balances.map { $0.string("warning") } == ["406250000000000000", "1000000000", "0"])
        #expect(balances.map { $0.string("critical") } == ["81250000000000000", "100500000", "0"])
        #expect(balances.map { $0.string("state") } == ["ok", "warning", "unknown"])
        #expect(balances.map { $0["decimals"]?.intValue } == [18, 6, 6])

        // A pass of the sender reads the balance and the fees: the runway is known, here and for the operator.
        let sender = try #require(f.app.senders.first)
        try await sender.pass()
        let runway = try #require(f.app.metrics.value("gateway_hot_wallet_gas_runway_refunds", ["network": "devnet"]))
        #expect(runway.isFinite && runway >= 0)
        let again = try await f.call(.get, "/readyz?verbose", key: .some(nil), headers: Self.operatorHeaders)
        let operatorWallet = again.json["networks"]?.array?.first?.object?["hot_wallet"]?.object
        #expect(operatorWallet?["gas_runway_refunds"]?.intValue == Int64(runway))
        let stored = operatorWallet?["balances"]?.array?.first?.object?.string("amount")
        if stored == "0" { #expect(runway == 0, "an empty wallet pays no refund") }
    }
}
