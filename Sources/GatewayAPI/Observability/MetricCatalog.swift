import EthereumCore
import GatewayDomain

/// Every metric family the gateway exports, in one place: the names follow the Prometheus
/// conventions (one `gateway_` prefix, base units in the name, `_total` for counters,
/// `_timestamp_seconds` for Unix times) and every label has a bounded set of values (a
/// network, a configured provider, a matched route, an outcome; never a merchant, a session
/// or an address). docs/OPERATIONS.md lists them with what to do when they move.
public enum MetricCatalog {
    /// Latency buckets in seconds, from 5 ms to 30 s.
    public static let secondsBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Webhook delivery times in seconds, from a second to a day.
    public static let deliveryBuckets: [Double] = [1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400]
    /// Reorg depths in blocks.
    public static let depthBuckets: [Double] = [1, 2, 3, 4, 6, 8, 12, 16, 32, 64]
    /// JSON-RPC calls per processed block.
    public static let callBuckets: [Double] = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50]

    /// Provider outcomes of one JSON-RPC request.
    public static let rpcOutcomes = ["ok", "retry", "failover", "final"]
    /// Webhook attempt outcomes: the receiver's status class, or `error` when none came.
    public static let attemptOutcomes = ["2xx", "3xx", "4xx", "5xx", "error"]
    /// How a webhook delivery ended.
    public static let deliveryOutcomes = ["succeeded", "failed"]
    /// Transfer states the monitor records.
    public static let transferStates = ["seen", "confirmed", "removed"]
    /// Session exceptions: paid too little, too much, or after the session ended.
    public static let sessionExceptions = ["partial", "over", "late"]
    /// Kinds of false answer the provider pool refuses (`ProviderPool.FalseAnswer`).
    public static let falseAnswerKinds = [
        "not_in_bloom", "not_in_block", "outside_range", "duplicate", "forged", "bad_receipt", "partial", "far_ahead",
    ]
    /// HTTP status classes.
    public static let statusClasses = ["2xx", "3xx", "4xx", "5xx"]

    public static let families: [MetricFamily] = [
        MetricFamily("gateway_build_info", .gauge, "Always 1; the labels name the running build.", labels: ["version"]),
        MetricFamily("gateway_process_start_time_seconds", .gauge, "Unix time at which the process started."),
        MetricFamily("gateway_ready", .gauge, "1 when /readyz answers 200, 0 when it answers 503 (as of the last scrape)."),
        MetricFamily("gateway_database_up", .gauge, "1 while the database answers the probe and is migrated, else 0."),

        MetricFamily(
            "gateway_http_requests_total", .counter, "HTTP requests answered, by matched route, method and status class.",
            labels: ["route", "method", "code"]),
        MetricFamily(
            "gateway_http_request_duration_seconds", .histogram, "Time to answer an HTTP request, by matched route and method.",
            labels: ["route", "method"], buckets: secondsBuckets),

        MetricFamily(
            "gateway_chain_head_block", .gauge, "The providers' safe head (the highest block two of them report).", labels: ["network"]),
        MetricFamily(
            "gateway_chain_head_timestamp_seconds", .gauge, "Unix time at which this process last saw the network's safe head advance.",
            labels: ["network"]),
        MetricFamily(
            "gateway_monitor_scanned_block", .gauge, "The last block the monitor fully processed (its checkpoint).", labels: ["network"]),
        MetricFamily(
            "gateway_monitor_scanned_timestamp_seconds", .gauge, "Unix time at which the monitor's checkpoint last moved.",
            labels: ["network"]),
        MetricFamily(
            "gateway_monitor_lag_blocks", .gauge, "Blocks between the safe head and the monitor's checkpoint.", labels: ["network"]),
        MetricFamily(
            "gateway_monitor_halted", .gauge, "1 while the network's monitor is halted (a reorg deeper than its window).",
            labels: ["network"]),
        MetricFamily(
            "gateway_monitor_stalled", .gauge, "1 while the monitor's checkpoint has not moved although the head is ahead of it.",
            labels: ["network"]),
        MetricFamily("gateway_monitor_blocks_processed_total", .counter, "Blocks the monitor processed.", labels: ["network"]),
        MetricFamily("gateway_monitor_reorgs_total", .counter, "Reorganisations the monitor followed.", labels: ["network"]),
        MetricFamily(
            "gateway_monitor_deep_reorgs_total", .counter, "Reorganisations deeper than the monitor's window (they halt it).",
            labels: ["network"]),
        MetricFamily(
            "gateway_monitor_reorg_depth_blocks", .histogram, "Depth of each reorganisation followed, in blocks.", labels: ["network"],
            buckets: depthBuckets),
        MetricFamily(
            "gateway_monitor_rpc_calls_per_block", .histogram, "JSON-RPC calls the monitor spent on one block.", labels: ["network"],
            buckets: callBuckets),
        MetricFamily(
            "gateway_monitor_transfers_total", .counter, "Token transfers recorded, by the state they moved to.",
            labels: ["network", "state"]),
        MetricFamily("gateway_monitor_watched_addresses", .gauge, "Addresses the monitor watches.", labels: ["network"]),
        MetricFamily(
            "gateway_monitor_finalized_stalled", .gauge, "1 while the providers' finalized block has not moved for too long.",
            labels: ["network"]),

        MetricFamily(
            "gateway_rpc_healthy_providers", .gauge, "Providers of the network that are healthy: breaker closed, in sync, a head reported.",
            labels: ["network"]),
        MetricFamily(
            "gateway_rpc_provider_up", .gauge, "1 while the provider is healthy (breaker closed, in sync, a head reported), else 0.",
            labels: ["network", "provider"]),
        MetricFamily(
            "gateway_rpc_provider_breaker_open", .gauge, "1 while the provider's circuit breaker is open or half-open.",
            labels: ["network", "provider"]),
        MetricFamily(
            "gateway_rpc_provider_out_of_sync", .gauge, "1 while the provider's head or finalized block disagrees with the others'.",
            labels: ["network", "provider"]),
        MetricFamily("gateway_rpc_provider_head_block", .gauge, "The head the provider last reported.", labels: ["network", "provider"]),
        MetricFamily(
            "gateway_rpc_provider_lag_blocks", .gauge, "Blocks between the safe head and the provider's last reported head.",
            labels: ["network", "provider"]),
        MetricFamily(
            "gateway_rpc_provider_latency_seconds", .gauge, "Moving average of the provider's answer time.",
            labels: ["network", "provider"]),
        MetricFamily(
            "gateway_rpc_requests_total", .counter,
            "JSON-RPC requests to each provider by outcome: ok, retry (transient), failover (provider unfit), final (request refused).",
            labels: ["network", "provider", "outcome"]),
        MetricFamily(
            "gateway_rpc_request_duration_seconds", .histogram, "Time a provider took to answer a JSON-RPC request well.",
            labels: ["network", "provider"], buckets: secondsBuckets),
        MetricFamily(
            "gateway_rpc_false_answers_total", .counter, "Answers refused as false, by provider and kind.",
            labels: ["network", "provider", "kind"]),

        MetricFamily("gateway_webhook_attempts_total", .counter, "Webhook delivery attempts by outcome.", labels: ["outcome"]),
        MetricFamily("gateway_webhook_deliveries_total", .counter, "Webhook deliveries ended, by outcome.", labels: ["outcome"]),
        MetricFamily("gateway_webhook_deliveries_pending", .gauge, "Webhook deliveries waiting for a 2xx."),
        MetricFamily("gateway_webhook_oldest_pending_age_seconds", .gauge, "Age of the oldest webhook delivery still pending (0 if none)."),
        MetricFamily("gateway_webhook_endpoints_failing", .gauge, "Endpoints with a delivery failed in the last day or retried twice."),
        MetricFamily(
            "gateway_webhook_event_to_2xx_seconds", .histogram, "Time from an event to its first 2xx.", buckets: deliveryBuckets),

        MetricFamily(
            "gateway_hot_wallet_balance_base_units", .gauge,
            "A hot wallet's balance as its refund sender last read it, in base units (token=\"native\": the gas coin); exact up to 2^53.",
            labels: ["network", "token"]),
        MetricFamily(
            "gateway_hot_wallet_balance_timestamp_seconds", .gauge, "When that balance was read (0: not yet).",
            labels: ["network", "token"]),
        MetricFamily(
            "gateway_hot_wallet_balance_threshold_base_units", .gauge,
            "The balance below which the hot wallet's asset warns (level=\"warning\") or is critical, in base units; 0: off.",
            labels: ["network", "token", "level"]),
        MetricFamily(
            "gateway_hot_wallet_gas_runway_refunds", .gauge,
            "Refunds the native balance pays at the current fees: balance / (reference gas limit × max fee per gas); NaN: not known here.",
            labels: ["network"]),
        MetricFamily(
            "gateway_refund_fee_bumps_total", .counter, "Refund transactions replaced by one with higher fees.", labels: ["network"]),
        MetricFamily(
            "gateway_refund_send_errors_total", .counter, "Refund transactions no provider took, by cause.", labels: ["network", "cause"]),
        MetricFamily("gateway_refunds", .gauge, "Refunds by status.", labels: ["status"]),
        MetricFamily("gateway_refund_oldest_pending_age_seconds", .gauge, "Age of the oldest refund still pending (0 if none)."),

        MetricFamily("gateway_sessions_created_total", .counter, "Payment sessions created."),
        MetricFamily("gateway_sessions_completed_total", .counter, "Payment sessions completed."),
        MetricFamily(
            "gateway_session_exceptions_total", .counter, "Sessions paid too little (partial), too much (over) or late.",
            labels: ["kind"]),
    ]

    /// Creates the series that exist whatever the configuration.
    public static func touchFixedSeries(_ registry: MetricsRegistry, version: String) {
        registry.set("gateway_build_info", ["version": version], 1)
        for name in [
            "gateway_ready", "gateway_database_up", "gateway_webhook_deliveries_pending", "gateway_webhook_oldest_pending_age_seconds",
            "gateway_webhook_endpoints_failing", "gateway_webhook_event_to_2xx_seconds", "gateway_sessions_created_total",
            "gateway_sessions_completed_total", "gateway_refund_oldest_pending_age_seconds",
        ] {
            registry.touch(name)
        }
        for outcome in attemptOutcomes { registry.touch("gateway_webhook_attempts_total", ["outcome": outcome]) }
        for outcome in deliveryOutcomes { registry.touch("gateway_webhook_deliveries_total", ["outcome": outcome]) }
        for kind in sessionExceptions { registry.touch("gateway_session_exceptions_total", ["kind": kind]) }
        for status in refundStatuses { registry.touch("gateway_refunds", ["status": status]) }
    }

    /// The series of the hot wallet of `thresholds.network`: the balance of its gas coin and of
    /// each token, their thresholds (set to the configured values), the gas runway (NaN until
    /// this process's sender computes it) and the sender's counters, every cause at 0.
    public static func touchHotWallet(_ registry: MetricsRegistry, thresholds: HotWalletThresholds) {
        let network = thresholds.network
        for asset in thresholds.assets {
            let labels = ["network": network, "token": asset.token]
            registry.touch("gateway_hot_wallet_balance_base_units", labels)
            registry.touch("gateway_hot_wallet_balance_timestamp_seconds", labels)
            for level in HotWalletThresholds.Level.allCases {
                registry.set(
                    "gateway_hot_wallet_balance_threshold_base_units", labels.merging(["level": level.rawValue]) { $1 },
                    gaugeValue(asset.threshold(level)))
            }
        }
        registry.set("gateway_hot_wallet_gas_runway_refunds", ["network": network], .nan)
        registry.touch("gateway_refund_fee_bumps_total", ["network": network])
        for cause in RefundSendCause.allCases {
            registry.touch("gateway_refund_send_errors_total", ["network": network, "cause": cause.rawValue])
        }
    }

    /// Families whose series exist per configured hot wallet only.
    public static let hotWalletFamilies: Set<String> = [
        "gateway_hot_wallet_balance_base_units", "gateway_hot_wallet_balance_timestamp_seconds",
        "gateway_hot_wallet_balance_threshold_base_units", "gateway_hot_wallet_gas_runway_refunds", "gateway_refund_fee_bumps_total",
        "gateway_refund_send_errors_total",
    ]

    /// An amount of base units as a gauge's value: a float, exact up to 2^53 (the nearest float
    /// above that; alerts compare like with like). Never read back into a decision.
    public static func gaugeValue(_ amount: UInt256) -> Double {
        Double(amount.decimalString) ?? .infinity
    }

    /// Every status a refund can have (`refunds.status`).
    public static let refundStatuses = ["requires_action", "pending", "succeeded", "failed", "canceled"]

    /// Creates every series of one network and its providers.
    public static func touchNetwork(_ registry: MetricsRegistry, network: String, providers: [String]) {
        let labels = ["network": network]
        for family in families where family.labels == ["network"] && !hotWalletFamilies.contains(family.name) {
            registry.touch(family.name, labels)
        }
        for state in transferStates { registry.touch("gateway_monitor_transfers_total", ["network": network, "state": state]) }
        for provider in providers {
            let labels = ["network": network, "provider": provider]
            for family in families where family.labels == ["network", "provider"] { registry.touch(family.name, labels) }
            for outcome in rpcOutcomes { registry.touch("gateway_rpc_requests_total", labels.merging(["outcome": outcome]) { $1 }) }
            for kind in falseAnswerKinds { registry.touch("gateway_rpc_false_answers_total", labels.merging(["kind": kind]) { $1 }) }
        }
    }

    /// Creates the request series of each route (method and path as the router matched them).
    public static func touchRoutes(_ registry: MetricsRegistry, routes: [(method: String, path: String)]) {
        for route in routes {
            registry.touch("gateway_http_request_duration_seconds", ["route": route.path, "method": route.method])
            for code in statusClasses {
                registry.touch("gateway_http_requests_total", ["route": route.path, "method": route.method, "code": code])
            }
        }
    }

    /// `2xx` … `5xx` for an HTTP status code.
    public static func statusClass(_ code: Int) -> String {
        switch code {
        case ..<300: return "2xx"
        case 300..<400: return "3xx"
        case 400..<500: return "4xx"
        default: return "5xx"
        }
    }
}
