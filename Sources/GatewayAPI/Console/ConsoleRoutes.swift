import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import WebhookDelivery

/// The web console under `/console`: sign-in with a form (`email`, `password`, hidden
/// `csrf_token`), the operator's and the merchant's overview, the session list with filters and
/// search, a session's page (payments, refunds, webhook deliveries) with a refund form, sign-out.
///
/// Pages are built on the server from ``HTML`` (every interpolated text is escaped) and carry no
/// script. Sessions live in Postgres (``ConsolePersistDriver``) under an `HttpOnly`,
/// `SameSite=Lax` cookie (`Secure` over https). Every form carries a CSRF token: the signed-in
/// session's, or before sign-in one bound to a cookie of its own. Sign-in attempts are limited
/// per client address and per account.
struct ConsoleRoutes {
    let console: ConsoleStore
    let stores: APIStores
    let configuration: APIConfiguration
    let limiter: RateLimiter
    let snapshot: (@Sendable () async -> OperatorSnapshot)?
    var exports: ExportService { ExportService(client: console.client) }
    /// Failed sign-ins per account in the last minute (this process's).
    let failures = SignInFailures()

    static let cookieName = "gateway_console"
    static let loginCookieName = "gateway_console_login"
    /// A bcrypt hash of a random text, checked when the email is unknown so that a missing
    /// account takes as long to refuse as a wrong password.
    static let decoyHash = Bcrypt.hash(ObjectID.secret("decoy"), cost: 12)

    func register(on router: Router<APIContext>) {
        let sessionMiddleware = SessionMiddleware<APIContext>(
            storage: ConsolePersistDriver(store: console),
            configuration: SessionMiddlewareConfiguration(
                sessionCookieParameters: SessionCookieParameters(
                    name: Self.cookieName, path: "/console", secure: configuration.consoleSecureCookies, sameSite: .lax),
                keyPrefix: "console.", defaultSessionExpiration: configuration.consoleSessionLifetime))
        let group = router.group("console").add(middleware: sessionMiddleware)

        group.get("console.css") { _, _ in
            var headers: HTTPFields = [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"]
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ConsolePages.css)))
        }
        group.get("login") { request, context in try await loginPage(request, context) }
        group.post("login") { request, context in try await signIn(request, context) }
        /// A page for a signed-in user; anyone else is sent to the sign-in form.
        func signedInGet(
            _ path: RouterPath, _ handler: @escaping @Sendable (Request, APIContext, ConsoleUser, ConsoleSession) async throws -> Response
        ) {
            group.get(path) { request, context in
                guard let (user, session) = try await signedIn(context) else { return redirect("/console/login") }
                return try await handler(request, context, user, session)
            }
        }
        /// A form a signed-in user posts, refused without the session's CSRF token.
        func signedInPost(
            _ path: RouterPath,
            _ handler: @escaping @Sendable (APIContext, [String: String], ConsoleUser, ConsoleSession) async throws -> Response
        ) {
            group.post(path) { request, context in
                guard let (user, session) = try await signedIn(context) else { return redirect("/console/login") }
                let form = try await readForm(request)
                guard ConsoleToken.matches(form["csrf_token"], session.csrfToken) else { return csrfRefused() }
                return try await handler(context, form, user, session)
            }
        }

        signedInPost("logout") { context, _, _, _ in
            context.sessions.clearSession()
            return redirect("/console/login")
        }
        signedInGet("") { _, _, user, session in try await overview(user: user, session: session) }
        signedInGet("sessions") { request, _, user, session in try await sessionList(request, user: user, session: session) }
        signedInGet("sessions/:id") { _, context, user, session in
            try await sessionPage(id: context.parameters.get("id") ?? "", user: user, session: session, notice: nil)
        }
        signedInPost("sessions/:id/refunds") { context, form, user, session in
            try await refund(sessionId: context.parameters.get("id") ?? "", form: form, user: user, session: session)
        }
        signedInGet("exports") { _, _, user, session in try await exportsPage(user: user, session: session, problem: nil) }
        signedInPost("exports/time-zone") { _, form, user, session in try await setTimeZone(form: form, user: user, session: session) }
        signedInGet("exports/file") { request, _, user, session in try await exportFile(request, user: user, session: session) }
        signedInGet("developers") { _, _, user, session in try await developersPage(user: user, session: session, notice: nil) }
        signedInPost("developers/:action") { context, form, user, session in
            try await developerAction(context.parameters.get("action") ?? "", form: form, user: user, session: session)
        }
    }

    // MARK: Signing in and out

    func loginPage(_ request: Request, _ context: APIContext, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        if try await signedIn(context) != nil { return redirect("/console") }
        let token = ConsoleToken.make()
        var response = page(status: status, ConsolePages.login(csrfToken: token, problem: problem))
        let cookie = Cookie(
            name: Self.loginCookieName, value: token, maxAge: 3600, path: "/console/login", secure: configuration.consoleSecureCookies,
            httpOnly: true, sameSite: .strict)
        response.headers[values: .setCookie].append(cookie.description)
        return response
    }

    func signIn(_ request: Request, _ context: APIContext) async throws -> Response {
        let form = try await readForm(request)
        guard ConsoleToken.matches(form["csrf_token"], request.cookies[Self.loginCookieName]?.value) else {
            return try await loginPage(request, context, problem: "The form expired. Sign in again.", status: .forbidden)
        }
        let email = ConsoleCredentials.normalizedEmail(form["email"] ?? "") ?? ""
        let password = form["password"] ?? ""
        do {
            let addressLimit = configuration.consoleLoginRateLimit
            let accountLimit = configuration.consoleLoginAccountRateLimit
            let byAddress =
                addressLimit > 0 ? await limiter.take(key: "console-login-ip:\(context.clientAddress)", limit: addressLimit) : nil
            let accountBlocked = accountLimit > 0 ? await failures.blocked(email, limit: accountLimit) : false
            if byAddress?.allowed == false || accountBlocked {
                return try await loginPage(
                    request, context, problem: "Too many attempts. Wait a minute and try again.", status: .tooManyRequests)
            }
        }
        let found = email.isEmpty ? nil : try await console.user(email: email)
        let stored = found?.passwordHash
        // bcrypt takes a quarter of a second on purpose: off the event loops and the cooperative
        // pool (the decoy hash too, made on first use).
        let matches = try await NIOThreadPool.singleton.runIfActive {
            password.utf8.count <= ConsoleCredentials.maximumPasswordBytes && !password.utf8.contains(0)
                && Bcrypt.verify(password, hash: stored ?? Self.decoyHash)
        }
        guard let (user, _) = found, matches else {
            await failures.record(email)
            context.logger.notice("console sign-in refused", metadata: ["client": "\(context.clientAddress)"])
            return try await loginPage(request, context, problem: "Wrong email or password.", status: .unauthorized)
        }
        await failures.clear(email)
        context.sessions.createSession(ConsoleSession(userId: user.id, csrfToken: ConsoleToken.make()))
        context.logger.info("console sign-in", metadata: ["user": "\(user.id)", "role": "\(user.role.rawValue)"])
        return redirect("/console")
    }

    /// The signed-in user and session, or nil (sign in first).
    func signedIn(_ context: APIContext) async throws -> (ConsoleUser, ConsoleSession)? {
        guard let session = context.sessions.session else { return nil }
        guard let user = try await console.user(id: session.userId) else {
            context.sessions.clearSession()
            return nil
        }
        return (user, session)
    }

    // MARK: Pages

    func overview(user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        let counts = try await console.sessionsByStatus(merchantId: user.merchantScope(requested: nil))
        var tiles: [HTML] = [ConsolePages.statusTile(counts)]
        if user.role == .operations {
            if let snapshot {
                let facts = await snapshot()
                let history = try await walletHistory(facts)
                tiles.insert(contentsOf: [ConsolePages.networkStrips(facts), ConsolePages.balanceTile(facts, history: history)], at: 0)
                if let webhooks = facts.webhooks { tiles.append(ConsolePages.webhookTile(webhooks)) }
            }
            tiles.append(ConsolePages.refundQueue(try await console.refundQueue()))
        }
        return page(ConsolePages.layout(title: "Overview", user: user, csrfToken: session.csrfToken, body: "\(tiles)"))
    }

    /// The stored balance samples of each hot wallet, network → token symbol (or `native`) →
    /// samples, oldest first. The samples name a token by its address; a symbol the checkout's
    /// networks do not list gets none.
    func walletHistory(_ facts: OperatorSnapshot) async throws -> [String: [String: [BalanceSample]]] {
        var out: [String: [String: [BalanceSample]]] = [:]
        for network in facts.networks {
            guard let wallet = network.hotWallet else { continue }
            let byAsset = try await console.balanceHistory(network: network.name, address: wallet.address)
            let tokens = stores.sessions.networks.first { $0.name == network.name }?.tokens ?? []
            for balance in wallet.balances {
                let asset = balance.token == "native" ? "native" : tokens.first { $0.symbol == balance.token }?.address.lowercased
                out[network.name, default: [:]][balance.token] = asset.flatMap { byAsset[$0] } ?? []
            }
        }
        return out
    }

    func sessionList(_ request: Request, user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        let query = request.uri.queryParameters
        let status = query["status"].map(String.init).flatMap { SessionStatus(rawValue: $0)?.rawValue }
        let search = ConsoleForm.text(query["q"].map(String.init), maxLength: 200)
        let merchant = user.merchantScope(requested: ConsoleForm.text(query["merchant"].map(String.init), maxLength: 100))
        let rows = try await console.sessions(merchantId: merchant, status: status, search: search, limit: 100)
        return page(
            ConsolePages.layout(
                title: "Sessions", user: user, csrfToken: session.csrfToken,
                body: ConsolePages.sessionList(rows, status: status, search: search, showMerchant: user.role == .operations)))
    }

    func sessionPage(id: String, user: ConsoleUser, session: ConsoleSession, notice: (ok: Bool, text: String)?) async throws
        -> Response
    {
        // Another merchant's session is "not found", exactly like one that does not exist.
        guard let owner = try await console.sessionOwner(id: id), user.canView(merchantId: owner.merchantId),
            let payment = try await stores.sessions.session(merchantId: owner.merchantId, livemode: owner.livemode, id: id)
        else {
            return page(
                status: .notFound,
                ConsolePages.layout(
                    title: "Not found", user: user, csrfToken: session.csrfToken, body: "<p class=\"empty\">No such payment session.</p>"))
        }
        var filter = RefundStore.Filter()
        filter.sessionId = id
        filter.limit = 100
        let refunds = try await stores.refunds.list(merchantId: owner.merchantId, livemode: owner.livemode, filter: filter).0
        let deliveries = try await console.deliveries(sessionId: id)
        let body = ConsolePages.sessionPage(
            stores.sessions.json(payment), refunds: refunds.map(stores.refunds.json), deliveries: deliveries,
            canRefund: user.canAct(for: owner.merchantId), csrfToken: session.csrfToken, notice: notice)
        return page(
            status: notice.map { $0.ok ? .ok : .unprocessableContent } ?? .ok,
            ConsolePages.layout(title: "Session \(id)", user: user, csrfToken: session.csrfToken, body: body))
    }

    func refund(sessionId: String, form: [String: String], user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        guard let owner = try await console.sessionOwner(id: sessionId), user.canView(merchantId: owner.merchantId) else {
            return try await sessionPage(id: sessionId, user: user, session: session, notice: nil)
        }
        guard user.canAct(for: owner.merchantId) else {
            return page(
                status: .forbidden,
                ConsolePages.layout(
                    title: "Not allowed", user: user, csrfToken: session.csrfToken,
                    body: "<p class=\"empty\">Only the merchant's own users can refund its payments.</p>"))
        }
        func field(_ name: String) -> String? { ConsoleForm.text(form[name], maxLength: 100) }
        let request = NewRefundRequest(
            paymentSession: sessionId, amount: field("amount"), destination: field("destination") ?? "payer", reason: field("reason"),
            metadata: [:],
            network: field("network"), token: field("token"))
        do {
            let refund = try await stores.refunds.create(merchantId: owner.merchantId, livemode: owner.livemode, request: request)
            return try await sessionPage(
                id: sessionId, user: user, session: session, notice: (true, "Refund \(refund.id) created (\(refund.status.rawValue))."))
        } catch let error as RequestError {
            return try await sessionPage(id: sessionId, user: user, session: session, notice: (false, error.message))
        }
    }

    // MARK: API keys and webhook endpoints

    /// The merchant's keys and endpoints, both modes; `notice` reports the last action (a new
    /// secret is shown in it once, and never again).
    func developersPage(user: ConsoleUser, session: ConsoleSession, notice: ConsolePages.Notice?, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        guard let merchantId = user.merchantId else {
            return page(
                status: .forbidden,
                ConsolePages.layout(
                    title: "API keys and webhooks", user: user, csrfToken: session.csrfToken,
                    body: "<p class=\"empty\">Keys and endpoints are a merchant's: sign in as one of its users.</p>"))
        }
        let keys = try await stores.keys.keys(merchantId: merchantId)
        var endpoints: [WebhookEndpoint] = []
        for mode in APIMode.allCases { endpoints += try await stores.webhooks.endpoints(merchantId: merchantId, livemode: mode.livemode) }
        return page(
            status: status,
            ConsolePages.layout(
                title: "API keys and webhooks", user: user, csrfToken: session.csrfToken,
                body: ConsolePages.developers(keys: keys, endpoints: endpoints, csrfToken: session.csrfToken, notice: notice)))
    }

    /// Creates or revokes a key, creates or deletes an endpoint, by the rules of the API's own
    /// routes (`APIScope.parse`, `WebhookTarget.check`, the endpoint limit).
    func developerAction(_ action: String, form: [String: String], user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        guard let merchantId = user.merchantId, user.canAct(for: merchantId) else {
            return try await developersPage(user: user, session: session, notice: nil)
        }
        let mode = ConsoleForm.text(form["mode"], maxLength: 4).flatMap(APIMode.init(rawValue:)) ?? .test
        func done(_ text: String, secret: String? = nil) async throws -> Response {
            try await developersPage(user: user, session: session, notice: ConsolePages.Notice(ok: true, text: text, secret: secret))
        }
        do {
            switch action {
            case "keys":
                let names = APIScope.allCases.map(\.rawValue).filter { form["scope_\($0)"] != nil }
                let scopes = try APIScope.parse(names)
                let (key, secret) = try await stores.keys.create(
                    merchantId: merchantId, mode: mode, scopes: scopes, description: ConsoleForm.text(form["description"], maxLength: 500))
                return try await done("API key \(key.id) created. Copy its secret now: it is not shown again.", secret: secret)
            case "revoke-key":
                let id = ConsoleForm.text(form["id"], maxLength: 100) ?? ""
                guard ObjectID.isWellFormed(id, prefix: "key"), try await stores.keys.revoke(merchantId: merchantId, id: id) != nil else {
                    throw RequestError(.notFound, code: "resource_missing", "no API key \(id)")
                }
                return try await done("API key \(id) revoked.")
            case "endpoints":
                guard let url = ConsoleForm.text(form["url"], maxLength: 2048) else {
                    throw RequestError(code: "parameter_missing", param: "url", "give the endpoint's URL")
                }
                do throws(WebhookTarget.Refusal) {
                    try await WebhookTarget.check(url, livemode: mode.livemode, allowPrivate: configuration.allowPrivateWebhookTargets)
                } catch {
                    throw RequestError(code: "url_not_allowed", param: "url", error.description)
                }
                // The API's event types, by their checkboxes; none chosen means every event.
                let chosen = EventTypes.all.filter { form["event_\($0)"] != nil }
                let (endpoint, secret) = try await stores.webhooks.createEndpoint(
                    merchantId: merchantId, livemode: mode.livemode, url: url, events: chosen.isEmpty ? ["*"] : chosen,
                    description: ConsoleForm.text(form["description"], maxLength: 500), limit: configuration.maxWebhookEndpoints)
                return try await done(
                    "Webhook endpoint \(endpoint.id) created. Copy its signing secret now: it is not shown again.", secret: secret)
            case "rotate-secret":
                // A new signing secret; the old one keeps signing beside it for the API's default overlap.
                let id = ConsoleForm.text(form["id"], maxLength: 100) ?? ""
                let rotated = try await inEitherMode(endpoint: id) { livemode in
                    try await stores.webhooks.rotateSecret(
                        merchantId: merchantId, livemode: livemode, id: id, overlapSeconds: WebhookEndpoint.defaultSecretOverlapSeconds)
                }
                guard let (endpoint, secret) = rotated else {
                    throw RequestError(.notFound, code: "resource_missing", "no webhook endpoint \(id)")
                }
                return try await done(
                    "Webhook endpoint \(endpoint.id) has a new signing secret; the old one also signs for 24 hours. Copy it now: it is not shown again.",
                    secret: secret)
            case "delete-endpoint":
                let id = ConsoleForm.text(form["id"], maxLength: 100) ?? ""
                let deleted = try await inEitherMode(endpoint: id) { livemode in
                    try await stores.webhooks.deleteEndpoint(merchantId: merchantId, livemode: livemode, id: id) ? true : nil
                }
                guard deleted != nil else { throw RequestError(.notFound, code: "resource_missing", "no webhook endpoint \(id)") }
                return try await done("Webhook endpoint \(id) deleted.")
            default:
                throw RequestError(.notFound, code: "resource_missing", "no such action")
            }
        } catch let error as RequestError {
            return try await developersPage(
                user: user, session: session, notice: ConsolePages.Notice(ok: false, text: error.message, secret: nil),
                status: error.kind == .notFound ? .notFound : .unprocessableContent)
        }
    }

    /// `body`'s answer for the merchant's endpoint `id` in test mode, else in live mode; nil
    /// when the id is malformed or the endpoint is in neither (another merchant's included).
    func inEitherMode<T>(endpoint id: String, _ body: (Bool) async throws -> T?) async throws -> T? {
        guard ObjectID.isWellFormed(id, prefix: "we") else { return nil }
        for mode in APIMode.allCases {
            if let found = try await body(mode.livemode) { return found }
        }
        return nil
    }

    // MARK: Exports

    func exportsPage(
        user: ConsoleUser, session: ConsoleSession, problem: String?, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let body: HTML
        if let merchantId = user.merchantId {
            let zone = try await exports.timeZone(merchantId: merchantId)
            body = ConsolePages.exportForm(problem: problem, notice: notice, timeZone: zone, csrfToken: session.csrfToken)
        } else {
            body = "<p class=\"empty\">Exports are a merchant's: sign in as one of its users.</p>"
        }
        return page(status: status, ConsolePages.layout(title: "Exports", user: user, csrfToken: session.csrfToken, body: body))
    }

    /// Sets the merchant's time zone (its exports read their dates in it), by the service's rule:
    /// an IANA name the server's time zone database knows.
    func setTimeZone(form: [String: String], user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        guard let merchantId = user.merchantId, user.canAct(for: merchantId) else {
            return try await exportsPage(user: user, session: session, problem: "The time zone is a merchant's.", status: .forbidden)
        }
        let name = ConsoleForm.text(form["time_zone"], maxLength: 64) ?? ""
        do {
            try await exports.setTimeZone(merchantId: merchantId, identifier: name)
            return try await exportsPage(user: user, session: session, problem: nil, notice: "Dates are now read in \(name).")
        } catch let error as RequestError {
            return try await exportsPage(user: user, session: session, problem: error.message, status: .unprocessableContent)
        }
    }

    /// One export file of the signed-in merchant (the same files as `/v1/exports/*.csv`).
    func exportFile(_ request: Request, user: ConsoleUser, session: ConsoleSession) async throws -> Response {
        guard let merchantId = user.merchantId else {
            return try await exportsPage(user: user, session: session, problem: "Exports are a merchant's.", status: .forbidden)
        }
        let query = request.uri.queryParameters
        func field(_ name: String, _ maxLength: Int) -> String? {
            ConsoleForm.text(query[Substring(name)].map(String.init), maxLength: maxLength)
        }
        guard let kind = field("kind", 20).flatMap(ExportKind.init(rawValue:)) else {
            return try await exportsPage(user: user, session: session, problem: "Choose what to export.", status: .badRequest)
        }
        let part = field("part", 6).flatMap { Int($0) }.map { max(1, $0) } ?? 1
        do {
            let range = try ExportDateRange(from: field("from", 10) ?? "", to: field("to", 10) ?? "")
            let file = try await exports.file(
                merchantId: merchantId, livemode: field("mode", 4) == "live", kind: kind, range: range, network: field("network", 50),
                token: field("token", 20), part: part)
            return Response(
                status: .ok,
                headers: [
                    .contentType: ExportFile.contentType, .contentDisposition: "attachment; filename=\"\(file.name)\"",
                    .cacheControl: "no-store",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        } catch let error as RequestError {
            return try await exportsPage(user: user, session: session, problem: error.message, status: .unprocessableContent)
        }
    }

    // MARK: Plumbing

    func readForm(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        return ConsoleForm.parse(String(buffer: buffer))
    }

    func page(status: HTTPResponse.Status = .ok, _ html: HTML) -> Response {
        Response(status: status, headers: HTMLPageHeaders.fields, body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func csrfRefused() -> Response {
        page(
            status: .forbidden,
            ConsolePages.bare(
                title: "Refused",
                body: "<p class=\"problem\">This form is not from your console session. Reload the page and try again.</p>"))
    }
}

/// `application/x-www-form-urlencoded` bodies: the last value of each name wins; names and
/// values are percent-decoded with `+` as space; malformed escapes are kept as they are.
enum ConsoleForm {
    static func parse(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true).prefix(50) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            out[name] = value
        }
        return out
    }

    /// A field as the console uses it: trimmed, nil when empty or when it holds a control
    /// character (a NUL cannot even be stored), cut at `maxLength` characters.
    static func text(_ value: String?, maxLength: Int) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return String(trimmed.prefix(maxLength))
    }

    static func decode(_ text: Substring) -> String {
        let plus = text.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}

/// Failed sign-ins per account: after `limit` failures within a minute, the account's sign-ins
/// are refused (429) until the oldest failure is a minute old, whatever the password. A
/// success clears the count. Bounded: the oldest accounts are forgotten past 100,000.
actor SignInFailures {
    private var failures: [String: [ContinuousClock.Instant]] = [:]
    private let window: Duration = .seconds(60)

    func blocked(_ account: String, limit: Int, now: ContinuousClock.Instant = .now) -> Bool {
        let recent = (failures[account] ?? []).filter { now - $0 < window }
        failures[account] = recent.isEmpty ? nil : recent
        return recent.count >= limit
    }

    func record(_ account: String, now: ContinuousClock.Instant = .now) {
        if failures.count >= 100_000 { failures = failures.filter { $0.value.contains { now - $0 < window } } }
        failures[account, default: []].append(now)
    }

    func clear(_ account: String) { failures[account] = nil }
}
