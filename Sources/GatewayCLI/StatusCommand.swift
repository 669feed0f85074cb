import ArgumentParser
import AsyncHTTPClient
import EthereumCore
import Foundation
import NIOCore

/// `gateway status`: one screen for an operator in a terminal, from a running gateway's
/// `/readyz?verbose` (with GATEWAY_OPERATOR_TOKEN): readiness and its checks, the database,
/// each network's head, checkpoint and lag with its providers, each hot wallet's balances beside
/// their thresholds with its gas runway, and the webhook queue. Exits 0
/// when the gateway is ready, 1 when it is not, 2 when it cannot be asked.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running gateway's readiness, networks, providers, lag and queues (GATEWAY_OPERATOR_TOKEN).")

    @Option(help: "The gateway's base URL.") var url = "http://127.0.0.1:8080"
    @Flag(help: "Print the gateway's JSON as it came.") var json = false

    func run() async throws {
        guard let token = ProcessInfo.processInfo.environment["GATEWAY_OPERATOR_TOKEN"], !token.isEmpty else {
            throw CLIError("set GATEWAY_OPERATOR_TOKEN to the token `gateway serve` runs with")
        }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        var request = HTTPClientRequest(url: base + "/readyz?verbose")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let body: ByteBuffer
        let status: UInt
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            status = response.status.code
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            print("gateway at \(base): no answer (\(error))")
            throw ExitCode(2)
        }
        let bytes = Data(body.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], object["checks"] != nil else {
            print("gateway at \(base): HTTP \(status) without detail; is GATEWAY_OPERATOR_TOKEN the one it runs with?")
            throw ExitCode(2)
        }
        if json {
            print(String(decoding: bytes, as: UTF8.self))
        } else {
            print(StatusScreen.render(object, url: base), terminator: "")
        }
        if object["status"] as? String != "ready" { throw ExitCode(1) }
    }
}

/// The text of `gateway status` from the `/readyz?verbose` document.
enum StatusScreen {
    static func render(_ document: [String: Any], url: String) -> String {
        var out = ""
        let ready = document["status"] as? String == "ready"
        out += "gateway at \(url): \(ready ? "READY" : "NOT READY")\n"
        for check in document["checks"] as? [[String: Any]] ?? [] where check["ok"] as? Bool != true {
            out += "  ✗ \(check["name"] as? String ?? "?"): \(check["reason"] as? String ?? "")\n"
        }
        if let database = document["database"] as? [String: Any] {
            let up = database["up"] as? Bool == true
            let migrated = database["migrated"] as? Bool
            out += "database: \(up ? "up" : "DOWN")"
            out += migrated == true ? ", migrated" : migrated == false ? ", NOT MIGRATED" : ""
            if let failure = database["failure"] as? String { out += " (\(failure))" }
            out += "\n"
        }
        out += "\n" + row(["NETWORK", "CHAIN", "HEAD", "SCANNED", "LAG", "MONITOR", "PROVIDERS"])
        let networks = document["networks"] as? [[String: Any]] ?? []
        for network in networks {
            let providers = network["providers"] as? [[String: Any]] ?? []
            out += row([
                text(network["network"]), text(network["chain_id"]), text(network["head"]), text(network["scanned"]), text(network["lag"]),
                text(network["monitor"]), "\(text(network["healthy_providers"]))/\(providers.count) healthy",
            ])
            if let reason = network["halt_reason"] as? String { out += "    halted: \(reason)\n" }
        }
        out += "\n" + row(["PROVIDER", "NETWORK", "STATE", "HEAD", "LATENCY", "BREAKER", "LAST FAILURE"])
        for network in networks {
            for provider in network["providers"] as? [[String: Any]] ?? [] {
                let state =
                    provider["healthy"] as? Bool == true ? "healthy" : provider["out_of_sync"] as? Bool == true ? "out of sync" : "down"
                out += row([
                    text(provider["provider"]), text(network["network"]), state, text(provider["head"]),
                    provider["latency_ms"].flatMap { $0 is NSNull ? nil : "\(text($0)) ms" } ?? "-", text(provider["breaker"]),
                    text(provider["last_failure"]),
                ])
            }
        }
        out += hotWallets(networks)
        if let webhooks = document["webhooks"] as? [String: Any] {
            out += "\nwebhooks: \(text(webhooks["pending"])) pending, oldest \(text(webhooks["oldest_pending_age_seconds"])) s, "
            out += "\(text(webhooks["failing_endpoints"])) endpoints failing\n"
        }
        return out
    }

    /// Each hot wallet: its address and gas runway, then each asset's balance, thresholds (in
    /// whole tokens) and state; nothing when no network has one.
    static func hotWallets(_ networks: [[String: Any]]) -> String {
        let wallets = networks.compactMap { network in (network["hot_wallet"] as? [String: Any]).map { (network, $0) } }
        guard !wallets.isEmpty else { return "" }
        let widths = [12, 10, 26, 22, 22]
        var out = "\n" + row(["HOT WALLET", "TOKEN", "BALANCE", "WARNING BELOW", "CRITICAL BELOW", "STATE"], widths: widths)
        for (network, wallet) in wallets {
            let name = text(network["network"])
            for balance in wallet["balances"] as? [[String: Any]] ?? [] {
                let decimals = (balance["decimals"] as? NSNumber)?.intValue ?? -1
                func tokens(_ key: String, off: Bool = false) -> String {
                    guard let amount = balance[key] as? String else { return "-" }
                    if off, amount == "0" { return "off" }
                    return whole(amount, decimals: decimals)
                }
                let state = text(balance["state"])
                out += row(
                    [
                        name, text(balance["token"]), tokens("amount"), tokens("warning", off: true), tokens("critical", off: true),
                        state == "warning" || state == "critical" ? state.uppercased() : state,
                    ], widths: widths)
            }
            let runway = wallet["gas_runway_refunds"].flatMap { $0 is NSNull ? nil : text($0) } ?? "unknown here"
            out += "  \(name) \(text(wallet["address"])): gas runway \(runway) refunds at the current fees\n"
        }
        return out
    }

    /// Base units as whole tokens (`1500000000000000000`, 18 → `1.5`); the base units as they
    /// came when either is not a plausible number.
    static func whole(_ baseUnits: String, decimals: Int) -> String {
        guard (0...TokenAmount.maxDecimals).contains(decimals), let units = try? UInt256(decimal: baseUnits) else { return baseUnits }
        return TokenAmount(baseUnits: units, decimals: decimals).decimalString
    }

    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "-"
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        case let other?: return "\(other)"
        }
    }

    static let widths = [44, 10, 12, 12, 8, 10, 12]

    static func row(_ cells: [String], widths: [Int] = widths) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            let width = index < widths.count ? widths[index] : 0
            line += index == cells.count - 1 ? cell : cell.padding(toLength: max(width, cell.count + 1), withPad: " ", startingAt: 0)
        }
        return line + "\n"
    }
}
