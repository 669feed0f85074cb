import EthereumCore
import GatewayDomain

/// What the gateway knows of its own state at one moment: the database, each network with
/// its providers and monitor, and the webhook queue. `/readyz`, `/health`, `/metrics` and
/// `gateway status` all read it; ``checks`` decides readiness from it, without IO.
public struct OperatorSnapshot: Sendable, Hashable {
    public struct Database: Sendable, Hashable {
        /// The probe's last answer.
        public var up: Bool
        /// Every bundled migration is applied (nil when the database could not be asked).
        public var migrated: Bool?
        /// Why the database was last found away.
        public var failure: String?

        public init(up: Bool, migrated: Bool?, failure: String? = nil) {
            self.up = up
            self.migrated = migrated
            self.failure = failure
        }
    }

    public struct Provider: Sendable, Hashable {
        /// The provider's URL with any credentials redacted.
        public var name: String
        /// Breaker closed, in sync, and a head reported: the pool asks it.
        public var healthy: Bool
        /// `closed`, `open` or `half_open`.
        public var breaker: String
        public var outOfSync: Bool
        public var head: UInt64?
        /// Moving average of its answer time, in milliseconds.
        public var latencyMilliseconds: Int64?
        public var lastFailure: String?

        public init(
            name: String, healthy: Bool, breaker: String, outOfSync: Bool, head: UInt64?, latencyMilliseconds: Int64?, lastFailure: String?
        ) {
            self.name = name
            self.healthy = healthy
            self.breaker = breaker
            self.outOfSync = outOfSync
            self.head = head
            self.latencyMilliseconds = latencyMilliseconds
            self.lastFailure = lastFailure
        }
    }

    /// A network's hot wallet: each asset's stored balance beside its thresholds, and how many
    /// refunds its gas pays (never part of readiness: an empty wallet stops refunds, not payments).
    public struct HotWallet: Sendable, Hashable {
        public struct Balance: Sendable, Hashable {
            /// `native` or the token's symbol.
            public var token: String
            public var decimals: Int
            /// Base units as the sender last stored them; nil before the first reading.
            public var amount: UInt256?
            /// Unix seconds of that reading.
            public var readAt: Int64?
            public var warning: UInt256
            public var critical: UInt256

            public init(token: String, decimals: Int, amount: UInt256?, readAt: Int64?, warning: UInt256, critical: UInt256) {
                self.token = token
                self.decimals = decimals
                self.amount = amount
                self.readAt = readAt
                self.warning = warning
                self.critical = critical
            }

            /// `critical` or `warning` below that threshold (as the alerts compare: strictly
            /// below, a threshold of 0 never), `ok` above, `unknown` before the first reading.
            public var state: String {
                guard let amount else { return "unknown" }
                if amount < critical { return "critical" }
                if amount < warning { return "warning" }
                return "ok"
            }
        }

        /// The wallet's address (checksummed).
        public var address: String
        public var balances: [Balance]
        /// `gateway_hot_wallet_gas_runway_refunds` in this process; nil while it is not known here.
        public var gasRunwayRefunds: UInt64?

        public init(address: String, balances: [Balance], gasRunwayRefunds: UInt64?) {
            self.address = address
            self.balances = balances
            self.gasRunwayRefunds = gasRunwayRefunds
        }
    }

    public struct Network: Sendable, Hashable {
        public var name: String
        public var chainId: UInt64
        /// The providers' safe head, when this process knows it.
        public var head: UInt64?
        /// The monitor's checkpoint and when it last moved (Unix seconds).
        public var scanned: UInt64?
        public var scannedAt: Int64?
        /// Why the monitor is halted, or nil.
        public var haltReason: String?
        public var providers: [Provider]
        /// Nil when the network has no hot wallet unlocked.
        public var hotWallet: HotWallet?

        public init(
            name: String, chainId: UInt64, head: UInt64?, scanned: UInt64?, scannedAt: Int64?, haltReason: String?, providers: [Provider],
            hotWallet: HotWallet? = nil
        ) {
            self.hotWallet = hotWallet
            self.name = name
            self.chainId = chainId
            self.head = head
            self.scanned = scanned
            self.scannedAt = scannedAt
            self.haltReason = haltReason
            self.providers = providers
        }

        /// Blocks between the head and the checkpoint, when both are known.
        public var lag: UInt64? {
            guard let head, let scanned else { return nil }
            return head > scanned ? head - scanned : 0
        }

        public var healthyProviders: Int { providers.filter(\.healthy).count }

        /// The monitor is stalled when the head is ahead of its checkpoint and the checkpoint
        /// has not moved for `stallSeconds`: it should process every new block within a poll.
        /// A network without a checkpoint yet (its monitor is starting) is not stalled.
        public func stalled(now: Int64, stallSeconds: Int64) -> Bool {
            guard let lag, lag > 0, let scannedAt else { return false }
            let (age, overflow) = now.subtractingReportingOverflow(scannedAt)
            return !overflow && age >= stallSeconds
        }
    }

    public struct Webhooks: Sendable, Hashable {
        public var pending: Int64
        public var oldestPendingAgeSeconds: Int64
        public var failingEndpoints: Int64

        public init(pending: Int64, oldestPendingAgeSeconds: Int64, failingEndpoints: Int64) {
            self.pending = pending
            self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
            self.failingEndpoints = failingEndpoints
        }
    }

    public var database: Database
    public var networks: [Network]
    /// Nil when the database could not be asked.
    public var webhooks: Webhooks?
    /// Unix seconds at which the snapshot was taken.
    public var now: Int64
    /// See ``Network/stalled(now:stallSeconds:)``.
    public var stallSeconds: Int64

    public init(database: Database, networks: [Network], webhooks: Webhooks?, now: Int64, stallSeconds: Int64) {
        self.database = database
        self.networks = networks
        self.webhooks = webhooks
        self.now = now
        self.stallSeconds = stallSeconds
    }

    /// One readiness check: its name (`database`, `network:<name>`), whether it passes, and why not.
    public struct Check: Sendable, Hashable {
        public let name: String
        public let ok: Bool
        public let reason: String?
    }

    /// The checks `/readyz` runs: the database answers and is migrated; each network has a
    /// healthy provider and a monitor that is neither halted nor stalled.
    public var checks: [Check] {
        var checks: [Check] = []
        if !database.up {
            checks.append(Check(name: "database", ok: false, reason: "the database does not answer"))
        } else if database.migrated != true {
            checks.append(Check(name: "database", ok: false, reason: "the database is not migrated to this version (run gateway migrate)"))
        } else {
            checks.append(Check(name: "database", ok: true, reason: nil))
        }
        for network in networks {
            let name = "network:\(network.name)"
            if network.healthyProviders == 0 {
                checks.append(Check(name: name, ok: false, reason: "no healthy provider"))
            } else if network.haltReason != nil {
                checks.append(Check(name: name, ok: false, reason: "the monitor is halted; run gateway monitor rewind"))
            } else if network.stalled(now: now, stallSeconds: stallSeconds) {
                checks.append(
                    Check(name: name, ok: false, reason: "the monitor has not moved for \(stallSeconds) s while the head is ahead"))
            } else {
                checks.append(Check(name: name, ok: true, reason: nil))
            }
        }
        return checks
    }

    public var ready: Bool { checks.allSatisfy(\.ok) }

    // MARK: JSON

    /// The detail of `/readyz?verbose` and the body of `gateway status`.
    public var json: JSONValue {
        let checks = self.checks
        let items: [JSONValue] = networks.map { network in
            .object(
                JSONObject([
                    "network": .string(network.name),
                    "chain_id": .int(Int64(clamping: network.chainId)),
                    "head": Self.int(network.head),
                    "scanned": Self.int(network.scanned),
                    "scanned_at": network.scannedAt.map { .int($0) } ?? .null,
                    "lag": Self.int(network.lag),
                    "monitor": .string(
                        network.haltReason != nil ? "halted" : network.stalled(now: now, stallSeconds: stallSeconds) ? "stalled" : "running"
                    ),
                    "halt_reason": .string(network.haltReason),
                    "healthy_providers": .int(Int64(network.healthyProviders)),
                    "providers": .array(
                        network.providers.map { provider in
                            .object(
                                JSONObject([
                                    "provider": .string(provider.name),
                                    "healthy": .bool(provider.healthy),
                                    "breaker": .string(provider.breaker),
                                    "out_of_sync": .bool(provider.outOfSync),
                                    "head": Self.int(provider.head),
                                    "latency_ms": provider.latencyMilliseconds.map { .int($0) } ?? .null,
                                    "last_failure": .string(provider.lastFailure),
                                ]))
                        }),
                    "hot_wallet": network.hotWallet.map(Self.json) ?? .null,
                ]))
        }
        let webhooks: JSONValue =
            self.webhooks.map {
                .object(
                    JSONObject([
                        "pending": .int($0.pending), "oldest_pending_age_seconds": .int($0.oldestPendingAgeSeconds),
                        "failing_endpoints": .int($0.failingEndpoints),
                    ]))
            } ?? .null
        return .object(
            JSONObject([
                "status": .string(ready ? "ready" : "not_ready"),
                "checks": .array(
                    checks.map { check in
                        .object(JSONObject(["name": .string(check.name), "ok": .bool(check.ok), "reason": .string(check.reason)]))
                    }),
                "database": .object(
                    JSONObject([
                        "up": .bool(database.up), "migrated": database.migrated.map { .bool($0) } ?? .null,
                        "failure": .string(database.failure),
                    ])),
                "networks": .array(items),
                "webhooks": webhooks,
                "time": .int(now),
            ]))
    }

    /// Amounts as decimal strings of base units: exact, whatever their size.
    static func json(_ wallet: HotWallet) -> JSONValue {
        .object(
            JSONObject([
                "address": .string(wallet.address),
                "gas_runway_refunds": int(wallet.gasRunwayRefunds),
                "balances": .array(
                    wallet.balances.map { balance in
                        .object(
                            JSONObject([
                                "token": .string(balance.token),
                                "decimals": .int(Int64(balance.decimals)),
                                "amount": .string(balance.amount?.decimalString),
                                "read_at": balance.readAt.map { .int($0) } ?? .null,
                                "warning": .string(balance.warning.decimalString),
                                "critical": .string(balance.critical.decimalString),
                                "state": .string(balance.state),
                            ]))
                    }),
            ]))
    }

    static func int(_ value: UInt64?) -> JSONValue {
        value.map { .int(Int64(clamping: $0)) } ?? .null
    }

    // MARK: Metrics

    /// Sets the gauges that describe this snapshot.
    public func record(into registry: MetricsRegistry) {
        registry.set("gateway_ready", [:], ready ? 1 : 0)
        registry.set("gateway_database_up", [:], database.up && database.migrated == true ? 1 : 0)
        for network in networks {
            let labels = ["network": network.name]
            if let head = network.head { registry.set("gateway_chain_head_block", labels, Double(head)) }
            if let scanned = network.scanned { registry.set("gateway_monitor_scanned_block", labels, Double(scanned)) }
            if let scannedAt = network.scannedAt { registry.set("gateway_monitor_scanned_timestamp_seconds", labels, Double(scannedAt)) }
            if let lag = network.lag { registry.set("gateway_monitor_lag_blocks", labels, Double(lag)) }
            registry.set("gateway_monitor_halted", labels, network.haltReason == nil ? 0 : 1)
            registry.set("gateway_monitor_stalled", labels, network.stalled(now: now, stallSeconds: stallSeconds) ? 1 : 0)
            registry.set("gateway_rpc_healthy_providers", labels, Double(network.healthyProviders))
            for provider in network.providers {
                let labels = ["network": network.name, "provider": provider.name]
                registry.set("gateway_rpc_provider_up", labels, provider.healthy ? 1 : 0)
                registry.set("gateway_rpc_provider_breaker_open", labels, provider.breaker == "closed" ? 0 : 1)
                registry.set("gateway_rpc_provider_out_of_sync", labels, provider.outOfSync ? 1 : 0)
                if let head = provider.head {
                    registry.set("gateway_rpc_provider_head_block", labels, Double(head))
                    let lag = network.head.map { $0 > head ? $0 - head : 0 } ?? 0
                    registry.set("gateway_rpc_provider_lag_blocks", labels, Double(lag))
                }
                if let latency = provider.latencyMilliseconds {
                    registry.set("gateway_rpc_provider_latency_seconds", labels, Double(latency) / 1_000)
                }
            }
        }
        if let webhooks {
            registry.set("gateway_webhook_deliveries_pending", [:], Double(webhooks.pending))
            registry.set("gateway_webhook_oldest_pending_age_seconds", [:], Double(webhooks.oldestPendingAgeSeconds))
            registry.set("gateway_webhook_endpoints_failing", [:], Double(webhooks.failingEndpoints))
        }
    }
}
