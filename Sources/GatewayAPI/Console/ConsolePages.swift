import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore

/// The console's pages, as ``HTML``: no script, one stylesheet from the gateway.
enum ConsolePages {
    static func bare(title: String, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Gateway console</title><link rel="stylesheet" href="/console/console.css"></head>
        <body><main class="narrow"><h1>\(title)</h1>\(body)</main></body></html>
        """
    }

    static func login(csrfToken: String, problem: String?) -> HTML {
        let problemLine: HTML = problem.map { "<p class=\"problem\" role=\"alert\">\($0)</p>" } ?? ""
        return bare(
            title: "Sign in",
            body: """
                \(problemLine)
                <form method="post" action="/console/login" class="stack">
                <input type="hidden" name="csrf_token" value="\(csrfToken)">
                <label>Email <input type="email" name="email" autocomplete="username" required maxlength="254"></label>
                <label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="200"></label>
                <button type="submit">Sign in</button>
                </form>
                """)
    }

    static func layout(title: String, user: ConsoleUser, csrfToken: String, body: HTML) -> HTML {
        let role = user.role == .operations ? "operator" : "merchant \(user.merchantId ?? "")"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Gateway console</title><link rel="stylesheet" href="/console/console.css"></head>
            <body>
            <header><nav><a href="/console">Overview</a> <a href="/console/sessions">Sessions</a> <a href="/console/exports">Exports</a>
            <a href="/console/developers">API keys and webhooks</a></nav>
            <div class="who"><span>\(user.email) · \(role)</span>
            <form method="post" action="/console/logout"><input type="hidden" name="csrf_token" value="\(csrfToken)">
            <button type="submit" class="link">Sign out</button></form></div></header>
            <main><h1>\(title)</h1>\(body)</main></body></html>
            """
    }

    // MARK: Overview tiles

    static func statusTile(_ counts: [(status: String, count: Int64)]) -> HTML {
        let rows: [HTML] = counts.map {
            "<tr><td><a href=\"/console/sessions?status=\($0.status)\">\($0.status)</a></td><td>\($0.count)</td></tr>"
        }
        let body: HTML = rows.isEmpty ? "<p class=\"empty\">No sessions in the last 24 hours.</p>" : "<table>\(rows)</table>"
        return
            "<section class=\"tile\" id=\"sessions-24h\"><h2><a href=\"/console/sessions\">Sessions, last 24 hours</a></h2>\(body)</section>"
    }

    static func networkStrips(_ facts: OperatorSnapshot) -> HTML {
        let strips: [HTML] = facts.networks.map { network in
            let scannedAge: String = network.scannedAt.map { "\(max(0, facts.now - $0)) s ago" } ?? "never"
            let halted: HTML = network.haltReason.map { " · <strong class=\"bad\">halted: \($0)</strong>" } ?? ""
            let providers: [HTML] = network.providers.map { provider in
                let latency = provider.latencyMilliseconds.map { "\($0) ms" } ?? "–"
                return
                    "<li class=\"\(provider.healthy ? "ok" : "bad")\">\(provider.name): \(provider.breaker)\(provider.outOfSync ? ", out of sync" : ""), head \(provider.head.map(String.init) ?? "–"), \(latency)</li>"
            }
            return """
                <section class="tile strip" id="network-\(network.name)"><h2>\(network.name)</h2>
                <p>head \(network.head.map(String.init) ?? "–") · scanned \(network.scanned.map(String.init) ?? "–") (\(scannedAge)) · lag \(network.lag.map(String.init) ?? "–") blocks\(halted)</p>
                <p>providers healthy \(network.healthyProviders)/\(network.providers.count)</p><ul>\(providers)</ul></section>
                """
        }
        return "\(strips)"
    }

    /// Each hot wallet's balances beside their thresholds (the facts `/readyz?verbose` and
    /// `gateway status` show), a chart of the last days of each (`history`: network → token
    /// symbol or `native` → samples, oldest first; the dashed line is the warning threshold, or
    /// the critical one when no warning is set), and its gas runway.
    static func balanceTile(_ facts: OperatorSnapshot, history: [String: [String: [BalanceSample]]] = [:]) -> HTML {
        var rows: [HTML] = []
        let start = facts.now.subtractingReportingOverflow(Int64(ConsoleStore.balanceHistoryDays) * 86_400)
        for network in facts.networks {
            guard let wallet = network.hotWallet else { continue }
            for balance in wallet.balances {
                func format(_ units: UInt256) -> String { units.isZero ? "off" : AmountText.format(units, scale: balance.decimals) }
                let amount = balance.amount.map { AmountText.format($0, scale: balance.decimals) } ?? "not read yet"
                let readAt = balance.readAt.map { Timestamp(unixSeconds: $0).rfc3339 } ?? "–"
                let chart = Sparkline(
                    samples: history[network.name]?[balance.token] ?? [], start: start.overflow ? .min : start.partialValue,
                    end: facts.now, threshold: balance.warning.isZero ? balance.critical : balance.warning, decimals: balance.decimals,
                    token: balance.token)
                rows.append(
                    """
                    <tr class="\(balance.state)"><td>\(network.name)</td><td><code>\(wallet.address)</code></td><td>\(balance.token)</td>\
                    <td class="num" id="balance-\(network.name)-\(balance.token)">\(amount)</td>\
                    <td class="chart" id="chart-\(network.name)-\(balance.token)">\(chart.svg)</td><td class="num">\(format(balance.warning))</td>\
                    <td class="num">\(format(balance.critical))</td><td>\(balance.state)</td><td>\(readAt)</td></tr>
                    """)
            }
            let runway = wallet.gasRunwayRefunds.map { "gas for \($0) more refunds" } ?? "gas runway not known in this process"
            rows.append("<tr><td colspan=\"9\" class=\"empty\">\(network.name): \(runway)</td></tr>")
        }
        let body: HTML =
            rows.isEmpty
            ? "<p class=\"empty\">No hot wallet configured.</p>"
            : """
            <table><tr><th>Network</th><th>Wallet</th><th>Asset</th><th>Balance</th><th>Last \(ConsoleStore.balanceHistoryDays) days</th>\
            <th>Warning below</th><th>Critical below</th><th>State</th><th>Read at</th></tr>\(rows)</table>
            """
        return "<section class=\"tile\" id=\"balances\"><h2>Hot-wallet balances</h2>\(body)</section>"
    }

    static func webhookTile(_ webhooks: OperatorSnapshot.Webhooks) -> HTML {
        """
        <section class="tile" id="webhooks"><h2>Webhooks</h2>
        <p>\(webhooks.pending) pending, oldest \(webhooks.oldestPendingAgeSeconds) s · \(webhooks.failingEndpoints) failing endpoints</p></section>
        """
    }

    static func refundQueue(_ queue: [ConsoleStore.QueuedRefund]) -> HTML {
        let rows: [HTML] = queue.map { refund in
            "<tr><td><code>\(refund.id)</code></td><td>\(refund.merchantId)</td><td>\(refund.network)</td><td>\(refund.status)</td><td class=\"num\">\(refund.ageSeconds) s</td><td>\(refund.nonce.map(String.init) ?? "–")</td><td>\(refund.attempts)</td><td>\(refund.lastError ?? "")</td></tr>"
        }
        let body: HTML =
            rows.isEmpty
            ? "<p class=\"empty\">No refund waiting.</p>"
            : "<table><tr><th>Refund</th><th>Merchant</th><th>Network</th><th>Status</th><th>Age</th><th>Nonce</th><th>Attempts</th><th>Last error</th></tr>\(rows)</table>"
        return "<section class=\"tile\" id=\"refund-queue\"><h2>Refund queue (oldest first)</h2>\(body)</section>"
    }

    // MARK: Sessions

    static let statuses = ["pending", "confirming", "completed", "expired", "canceled", "failed", "refunded", "partially_refunded"]

    static func sessionList(_ rows: [ConsoleStore.SessionRow], status: String?, search: String?, showMerchant: Bool) -> HTML {
        let options: [HTML] = statuses.map { value in
            let selected: HTML = status == value ? " selected" : ""
            return "<option value=\"\(value)\"\(selected)>\(value)</option>"
        }
        let filter: HTML = """
            <form method="get" action="/console/sessions" class="filters">
            <label>Status <select name="status"><option value="">any</option>\(options)</select></label>
            <label>Search <input type="search" name="q" value="\(search)" placeholder="session id, order id, address or transaction hash" size="48"></label>
            <button type="submit">Filter</button></form>
            """
        let lines: [HTML] = rows.map { row in
            let merchant: HTML = showMerchant ? "<td>\(row.merchantId)</td>" : ""
            return
                "<tr><td><a href=\"/console/sessions/\(row.id)\"><code>\(row.id)</code></a></td>\(merchant)<td>\(row.livemode ? "live" : "test")</td><td>\(row.status)</td><td class=\"num\">\(row.amount) \(row.currency)</td><td>\(row.orderId ?? "")</td><td>\(row.createdAt.rfc3339)</td></tr>"
        }
        let merchantHead: HTML = showMerchant ? "<th>Merchant</th>" : ""
        let head: HTML = "<tr><th>Session</th>\(merchantHead)<th>Mode</th><th>Status</th><th>Amount</th><th>Order</th><th>Created</th></tr>"
        let table: HTML = lines.isEmpty ? "<p class=\"empty\">No session matches.</p>" : "<table id=\"sessions\">\(head)\(lines)</table>"
        return "\(filter)\(table)"
    }

    static func sessionPage(
        _ sessionValue: JSONValue, refunds refundValues: [JSONValue], deliveries: [ConsoleStore.DeliveryRow], canRefund: Bool,
        csrfToken: String,
        notice: (ok: Bool, text: String)?
    ) -> HTML {
        let session = object(sessionValue)
        let refunds = refundValues.map(object)
        let facts: HTML = """
            <dl class="facts">
            <dt>Status</dt><dd id="status">\(text(session["status"]))</dd>
            <dt>Amount</dt><dd>\(text(session["amount"])) \(text(session["currency"]))</dd>
            <dt>Received</dt><dd>\(text(session["amount_received"]))</dd>
            <dt>Confirmed</dt><dd>\(text(session["amount_confirmed"]))</dd>
            <dt>Refunded</dt><dd>\(text(session["amount_refunded"]))</dd>
            <dt>Mode</dt><dd>\(session["livemode"] == .bool(true) ? "live" : "test")</dd>
            <dt>Created</dt><dd>\(text(session["created_at"]))</dd>
            <dt>Expires</dt><dd>\(text(session["expires_at"]))</dd>
            </dl>
            """
        let payments: [HTML] = items(session["payments"]).map { payment in
            "<tr><td>\(text(payment["network"]))</td><td>\(text(payment["amount"])) \(text(payment["token"]))</td><td><code>\(text(payment["tx_hash"]))</code></td><td><code>\(text(payment["from"]))</code></td><td>\(text(payment["status"]))</td><td>\(text(payment["confirmations"]))/\(text(payment["confirmations_required"]))</td><td>\(payment["late"] == .bool(true) ? "late" : "")</td></tr>"
        }
        let paymentTable: HTML =
            payments.isEmpty
            ? "<p class=\"empty\">No payment yet.</p>"
            : "<table id=\"payments\"><tr><th>Network</th><th>Amount</th><th>Transaction</th><th>From</th><th>State</th><th>Confirmations</th><th></th></tr>\(payments)</table>"
        let refundRows: [HTML] = refunds.map { refund in
            "<tr><td><code>\(text(refund["id"]))</code></td><td>\(text(refund["amount"])) \(text(refund["token"]))</td><td><code>\(text(refund["destination"]))</code></td><td>\(text(refund["status"]))</td><td>\(text(refund["status_reason"]))</td><td><code>\(text(refund["tx_hash"]))</code></td></tr>"
        }
        let refundTable: HTML =
            refundRows.isEmpty
            ? "<p class=\"empty\">No refund.</p>"
            : "<table id=\"refunds\"><tr><th>Refund</th><th>Amount</th><th>Destination</th><th>Status</th><th>Why</th><th>Transaction</th></tr>\(refundRows)</table>"
        let deliveryRows: [HTML] = deliveries.map { delivery in
            "<tr><td><code>\(delivery.id)</code></td><td>\(delivery.eventType)</td><td>\(delivery.url)</td><td>\(delivery.status)</td><td>\(delivery.attempts)</td><td>\(delivery.lastStatusCode.map(String.init) ?? "")</td><td>\(delivery.lastError ?? "")</td></tr>"
        }
        let deliveryTable: HTML =
            deliveryRows.isEmpty
            ? "<p class=\"empty\">No webhook delivery.</p>"
            : "<table id=\"deliveries\"><tr><th>Delivery</th><th>Event</th><th>Endpoint</th><th>Status</th><th>Attempts</th><th>Last code</th><th>Last error</th></tr>\(deliveryRows)</table>"
        let noticeLine: HTML =
            notice.map { "<p class=\"\($0.ok ? "notice" : "problem")\" role=\"status\" id=\"notice\">\($0.text)</p>" } ?? ""
        let refundForm: HTML =
            canRefund
            ? """
            <section class="tile"><h2>Refund</h2>
            <form method="post" action="/console/sessions/\(text(session["id"]))/refunds" class="stack" id="refund-form">
            <input type="hidden" name="csrf_token" value="\(csrfToken)">
            <label>Amount (empty: everything refundable) <input name="amount" inputmode="decimal" maxlength="40"></label>
            <label>Destination address (empty: the payer) <input name="destination" maxlength="42" size="44"></label>
            <label>Reason <select name="reason"><option value="requested_by_customer">requested by customer</option>
            <option value="duplicate">duplicate</option><option value="fraudulent">fraudulent</option>
            <option value="overpayment">overpayment</option><option value="other">other</option></select></label>
            <button type="submit">Refund</button></form></section>
            """ : ""
        return """
            \(noticeLine)\(facts)
            <h2>Payments</h2>\(paymentTable)
            <h2>Refunds</h2>\(refundTable)\(refundForm)
            <h2>Webhook deliveries</h2>\(deliveryTable)
            """
    }

    /// What the last action on a page did; `secret` is a new key's or endpoint's, shown once.
    struct Notice {
        let ok: Bool
        let text: String
        let secret: String?
    }

    static func developers(keys: [APIKey], endpoints: [WebhookEndpoint], csrfToken: String, notice: Notice?) -> HTML {
        let secret: HTML = notice?.secret.map { "<p class=\"notice\">Secret: <code id=\"new-secret\">\($0)</code></p>" } ?? ""
        let noticeLine: HTML =
            notice.map { "<p class=\"\($0.ok ? "notice" : "problem")\" role=\"status\" id=\"notice\">\($0.text)</p>\(secret)" } ?? ""
        let token: HTML = "<input type=\"hidden\" name=\"csrf_token\" value=\"\(csrfToken)\">"
        let modes: HTML = "<select name=\"mode\"><option value=\"test\">test</option><option value=\"live\">live</option></select>"
        let keyRows: [HTML] = keys.map { key in
            let revoke: HTML =
                key.revokedAt == nil
                ? """
                <form method="post" action="/console/developers/revoke-key">\(token)<input type="hidden" name="id" value="\(key.id)">\
                <button type="submit">Revoke</button></form>
                """ : "revoked \(key.revokedAt?.rfc3339 ?? "")"
            return """
                <tr><td><code>\(key.id)</code></td><td><code>\(key.prefix)…</code></td><td>\(key.livemode ? "live" : "test")</td>\
                <td>\(key.scopes.map(\.rawValue).joined(separator: ", "))</td><td>\(key.description)</td>\
                <td>\(key.lastUsedAt?.rfc3339 ?? "never")</td><td>\(revoke)</td></tr>
                """
        }
        let endpointRows: [HTML] = endpoints.map { endpoint in
            """
            <tr><td><code>\(endpoint.id)</code></td><td>\(endpoint.url)</td><td>\(endpoint.livemode ? "live" : "test")</td>\
            <td>\(endpoint.events.joined(separator: ", "))</td><td>\(endpoint.description)</td><td>\
            <form method="post" action="/console/developers/rotate-secret">\(token)<input type="hidden" name="id" value="\(endpoint.id)">\
            <button type="submit">Rotate secret</button></form> \
            <form method="post" action="/console/developers/delete-endpoint">\(token)<input type="hidden" name="id" value="\(endpoint.id)">\
            <button type="submit">Delete</button></form></td></tr>
            """
        }
        let eventChoices: [HTML] = EventTypes.all.map { "<label><input type=\"checkbox\" name=\"event_\($0)\"> \($0)</label>" }
        let scopes: [HTML] = APIScope.allCases.map {
            "<label><input type=\"checkbox\" name=\"scope_\($0.rawValue)\"\($0 == .read ? " checked" : "")> \($0.rawValue)</label>"
        }
        let keyTable: HTML =
            keyRows.isEmpty
            ? "<p class=\"empty\">No API key.</p>"
            : """
            <table id="keys"><tr><th>Key</th><th>Prefix</th><th>Mode</th><th>Scopes</th><th>Description</th><th>Last used</th><th></th></tr>\
            \(keyRows)</table>
            """
        let endpointTable: HTML =
            endpointRows.isEmpty
            ? "<p class=\"empty\">No webhook endpoint.</p>"
            : """
            <table id="endpoints"><tr><th>Endpoint</th><th>URL</th><th>Mode</th><th>Events</th><th>Description</th><th></th></tr>\
            \(endpointRows)</table>
            """
        return """
            \(noticeLine)
            <h2>API keys</h2>
            \(keyTable)
            <section class="tile"><form method="post" action="/console/developers/keys" class="stack" id="key-form">\(token)
            <label>Mode \(modes)</label><fieldset><legend>Scopes</legend>\(scopes)</fieldset>
            <label>Description <input name="description" maxlength="500"></label><button type="submit">Create API key</button></form></section>
            <h2>Webhook endpoints</h2>
            \(endpointTable)
            <section class="tile"><form method="post" action="/console/developers/endpoints" class="stack" id="endpoint-form">\(token)
            <label>Mode \(modes)</label><label>URL (https, a public address) <input name="url" type="url" maxlength="2048" required></label>
            <fieldset><legend>Events (none chosen: every event)</legend>\(eventChoices)</fieldset>
            <label>Description <input name="description" maxlength="500"></label><button type="submit">Add endpoint</button></form></section>
            """
    }

    /// The merchant's export form: what, which dates (in the merchant's time zone), which mode,
    /// and for the bank files which network, token and part (docs/EXPORTS.md); and the
    /// merchant's time zone with a form to change it.
    static func exportForm(problem: String?, notice: String? = nil, timeZone: String, csrfToken: String) -> HTML {
        let problemLine: HTML = problem.map { "<p class=\"problem\" role=\"alert\" id=\"problem\">\($0)</p>" } ?? ""
        let noticeLine: HTML = notice.map { "<p class=\"notice\" id=\"notice\">\($0)</p>" } ?? ""
        return """
            \(problemLine)\(noticeLine)
            <h2>Time zone</h2>
            <form method="post" action="/console/exports/time-zone" class="stack" id="time-zone-form">
            <input type="hidden" name="csrf_token" value="\(csrfToken)">
            <label>Time zone of the dates (an IANA name such as Europe/Paris)
            <input name="time_zone" maxlength="64" required value="\(timeZone)" id="time-zone"></label>
            <button type="submit">Save the time zone</button></form>
            <h2>Download</h2>
            <form method="get" action="/console/exports/file" class="stack" id="export-form">
            <label>File <select name="kind"><option value="payments">payments.csv</option><option value="ledger">ledger.csv</option>
            <option value="quickbooks">QuickBooks bank file</option><option value="xero">Xero bank file</option></select></label>
            <label>From <input type="date" name="from" required></label>
            <label>To <input type="date" name="to" required></label>
            <label>Mode <select name="mode"><option value="live">live</option><option value="test">test</option></select></label>
            <label>Network (bank files) <input name="network" maxlength="50" placeholder="ethereum"></label>
            <label>Token (bank files) <input name="token" maxlength="20" placeholder="USDC"></label>
            <label>Part (bank files, 1,000 rows each) <input name="part" inputmode="numeric" maxlength="6" value="1"></label>
            <button type="submit">Download</button></form>
            """
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "yes" : "no"
        default: return ""
        }
    }

    static func object(_ value: JSONValue) -> JSONObject {
        if case .object(let object) = value { return object }
        return JSONObject()
    }

    static func items(_ value: JSONValue?) -> [JSONObject] {
        guard case .array(let values) = value else { return [] }
        return values.compactMap { if case .object(let object) = $0 { return object } else { return nil } }
    }

    static let css = """
        :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
        body { margin: 0; }
        header { display: flex; justify-content: space-between; align-items: center; padding: .6rem 1.2rem; background: #1d2330; color: #fff; }
        header a { color: #fff; margin-right: 1rem; text-decoration: none; font-weight: 600; }
        .who { display: flex; gap: .8rem; align-items: center; font-size: .9rem; }
        .who form { margin: 0; }
        button.link { background: none; border: 1px solid #fff; color: #fff; padding: .2rem .6rem; border-radius: 4px; cursor: pointer; }
        main { padding: 1rem 1.2rem; max-width: 1200px; }
        main.narrow { max-width: 420px; margin: 4rem auto; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.4rem; }
        .tile { background: #fff; border-radius: 8px; padding: .4rem 1rem .8rem; margin-bottom: 1rem; box-shadow: 0 1px 3px #0001; }
        table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.chart { padding-top: .15rem; padding-bottom: .15rem; } svg.spark { display: block; } .spark.empty { font-size: .8rem; }
        code { font-size: .8rem; word-break: break-all; }
        .stack { display: flex; flex-direction: column; gap: .7rem; }
        .stack input, .stack select { display: block; width: 100%; padding: .4rem; box-sizing: border-box; }
        .stack fieldset { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; }
        .stack input[type=checkbox] { display: inline; width: auto; margin-right: .3rem; }
        .filters { display: flex; gap: 1rem; align-items: end; margin-bottom: 1rem; flex-wrap: wrap; }
        button { padding: .45rem 1rem; border-radius: 4px; border: 0; background: #2856d8; color: #fff; font-weight: 600; cursor: pointer; }
        .problem { color: #a3121f; background: #fde8ea; padding: .5rem; border-radius: 4px; }
        .notice { color: #135c22; background: #e4f6e8; padding: .5rem; border-radius: 4px; }
        .empty { color: #67707d; }
        .ok { color: #135c22; } .bad { color: #a3121f; }
        tr.warning td { background: #fff6dc; } tr.critical td { background: #fde8ea; color: #a3121f; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #fff; padding: .8rem; border-radius: 8px; }
        dt { font-weight: 600; }
        """
}
