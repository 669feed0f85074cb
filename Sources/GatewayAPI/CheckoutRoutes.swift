import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import ServiceLifecycle

/// The public checkout: the hosted page, its live event stream, the wallet's transaction
/// report, and the page's script and style. No API key: the session id (unguessable) opens
/// the page, and the client secret embedded in it guards the one write.
struct CheckoutRoutes {
    let sessions: SessionStore
    let configuration: APIConfiguration
    let template: MustacheTemplate
    let limiter: RateLimiter
    let streams: EventStreams
    let changes: ChangeHub?

    init(sessions: SessionStore, configuration: APIConfiguration, limiter: RateLimiter, changes: ChangeHub?) throws {
        self.sessions = sessions
        self.configuration = configuration
        self.limiter = limiter
        self.changes = changes
        self.streams = EventStreams(perSession: configuration.eventStreamsPerSession, total: configuration.eventStreamsTotal)
        self.template = try MustacheTemplate(string: String(decoding: PackageResources.checkout_html_mustache, as: UTF8.self))
    }

    func register(on router: Router<APIContext>) {
        let router = router.group("").add(middleware: ClientLimitMiddleware(limiter: limiter, limit: configuration.checkoutRateLimit))
        router.get("checkout/assets/checkout.js") { _, _ in
            Self.asset(PackageResources.checkout_js, type: "text/javascript; charset=utf-8")
        }
        router.get("checkout/assets/checkout.css") { _, _ in
            Self.asset(PackageResources.checkout_css, type: "text/css; charset=utf-8")
        }
        router.get("checkout/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let (session, merchantName) = try await sessions.publicSession(id: id) else { return Self.notFoundPage() }
            let selected = QueryParameters(request)["option"].flatMap { Int($0) } ?? 0
            let page = CheckoutPage(session: session, merchantName: merchantName, selected: selected)
            let html = template.render(page.context)
            return Response(status: .ok, headers: HTMLPageHeaders.fields, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("checkout/:id/events") { _, context in
            let id = try context.parameters.require("id")
            // Taken before the first read: a change committed after it wakes the stream.
            let firstMark = await changes?.mark() ?? 0
            guard let (first, _) = try await sessions.publicSession(id: id) else { throw APIError.notFound("checkout \(id)") }
            guard await streams.open(id) else {
                var error = APIError(
                    status: .tooManyRequests, type: .rateLimit, code: "too_many_streams",
                    "too many live status streams are open for this checkout (or in all); retry shortly")
                // Every 429 carries the rate headers the API documents: here the streams a
                // checkout may hold, none left, and a retry in 10 seconds.
                error.headers[.rateLimitLimit] = String(configuration.eventStreamsPerSession)
                error.headers[.rateLimitRemaining] = "0"
                error.headers[.rateLimitReset] = String(Int64(Date().timeIntervalSince1970) + 10)
                error.headers[.retryAfter] = "10"
                throw error
            }
            let sessions = self.sessions
            let configuration = self.configuration
            let streams = self.streams
            let changes = self.changes
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
            return Response(
                status: .ok, headers: headers,
                body: .init { writer in
                    // Woken by change notices for this session (and, while a payment is gaining
                    // confirmations, its network's new blocks: EventStreams.topics), when it reads
                    // the session again; ends when the session ends, the client goes away or the
                    // server shuts down. The page's EventSource reconnects. A client that left is
                    // found by the next keep-alive write failing, so its slot is free again within
                    // two keep-alive intervals, without reading the session meanwhile.
                    do {
                        var session = first
                        var mark = firstMark
                        var readAt = ContinuousClock.now
                        var last = ""
                        var quiet = ContinuousClock.now
                        while !Task.isShuttingDownGracefully && !Task.isCancelled {
                            let data = CheckoutPage.eventJSON(session).serialized
                            if data != last {
                                try await writer.write(ByteBuffer(string: "event: session\ndata: \(data)\n\n"))
                                last = data
                                quiet = .now
                            } else if ContinuousClock.now - quiet >= configuration.keepAliveInterval {
                                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                                quiet = .now
                            }
                            if EventStreams.isFinal(session) { break }
                            let topics = EventStreams.topics(session)
                            let wait = min(configuration.eventPollInterval, configuration.keepAliveInterval)
                            if let changes {
                                await changes.wait(for: topics, after: mark, timeout: wait)
                            } else {
                                try await Task.sleep(for: wait)
                            }
                            let noticed = await changes?.changed(topics, after: mark) ?? true
                            if noticed || ContinuousClock.now - readAt >= configuration.eventPollInterval {
                                mark = await changes?.mark() ?? 0
                                guard let next = try await sessions.publicSession(id: id)?.0 else { break }
                                session = next
                                readAt = .now
                            }
                        }
                        try await writer.finish(nil)
                    } catch {
                        await streams.close(id)
                        throw error
                    }
                    await streams.close(id)
                })
        }
        router.post("checkout/:id/transactions") { request, context in
            let id = try context.parameters.require("id")
            var request = request
            let body = try await request.collectBody(upTo: APIConfiguration.maxBodyBytes)
            let fields = try RequestFields(body: body, allowed: ["client_secret", "tx_hash", "network", "signature"])
            let secret = try fields.string("client_secret", required: true, maxLength: 100)!
            let network = try fields.string("network", required: true, maxLength: 50)!
            let hashText = try fields.string("tx_hash", required: true, maxLength: 100)!
            guard let txHash = try? TxHash(hex: hashText) else {
                throw APIError(status: .badRequest, code: "tx_hash_invalid", param: "tx_hash", "tx_hash is 0x and 64 hex digits")
            }
            guard ObjectID.isWellFormed(id, prefix: "ps") else { throw APIError.notFound("checkout \(id)") }
            for (bucket, limit) in [
                ("claim:" + id, configuration.claimRateLimit),
                ("claim-client:" + context.clientAddress, configuration.claimClientRateLimit),
            ] {
                if let decision = await limiter.take(key: bucket, limit: limit), !decision.allowed {
                    throw RateLimitHeaders.refusal(decision, headers: RateLimitHeaders.for([decision]), "too many transaction reports")
                }
            }
            var signer: Address? = nil
            if let text = try fields.string("signature", maxLength: 200) {
                let message = CheckoutClaim.message(session: id, network: network, transaction: txHash)
                guard let bytes = try? Hex.decode(text, requirePrefix: true),
                    let address = try? PersonalMessage.recoverSigner(of: Array(message.utf8), signature: bytes)
                else {
                    throw APIError(
                        status: .badRequest, code: "signature_invalid", param: "signature",
                        "signature is the 65-byte personal_sign (EIP-191) signature of: \(message)")
                }
                signer = address
            }
            let result = try await sessions.claim(sessionId: id, clientSecret: secret, network: network, txHash: txHash, signer: signer)
            return JSONResponse.make(
                .accepted,
                .object(
                    JSONObject([
                        "object": .string("checkout_transaction"), "payment_session": .string(id), "network": .string(network),
                        "tx_hash": .string(txHash.hex), "status": .string(result.rawValue),
                    ])))
        }
    }

    /// A customer who opens a wrong link sees a page, not JSON.
    static func notFoundPage() -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>Checkout not found</title><link rel="stylesheet" href="/checkout/assets/checkout.css"></head>\
            <body><main><h1>Checkout not found</h1><p>This payment link is not valid. Ask the merchant for a new one.</p></main></body></html>
            """
        return Response(
            status: .notFound, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// What the checkout template shows, from a session.
struct CheckoutPage {
    let session: PaymentSession
    let merchantName: String
    let selected: Int

    var context: [String: Any] {
        let state = session.state
        let status = session.status
        let underpaid = status == .pending && !state.amountReceived.isZero
        let selectedIndex = session.options.indices.contains(selected) ? selected : 0
        let options: [[String: Any]] = session.options.enumerated().map { index, option in
            optionContext(option, index: index, selected: index == selectedIndex)
        }
        var selectedContext: [String: Any] = options.isEmpty ? [:] : options[selectedIndex]
        if let option = session.options.indices.contains(selectedIndex) ? session.options[selectedIndex] : nil {
            selectedContext["qr_svg"] =
                QRCode.svg(
                    option.paymentRequest.uri,
                    title:
                        "QR code: pay \(AmountText.format(option.amountDue, scale: option.decimals)) \(option.token) on \(option.network)")
                ?? ""
        }
        return [
            "session_id": session.id,
            "client_secret": session.clientSecret,
            "merchant_name": merchantName,
            "description": session.description ?? "",
            "amount": session.amount,
            "currency": session.currency,
            "status": status.rawValue,
            "amount_due": session.format(session.amountDueUnits),
            "amount_received": session.format(state.amountReceived),
            "amount_remaining": session.format(state.underpaid),
            "amount_overpaid": session.format(state.overpaid),
            "amount_late": session.format(session.amountLate),
            "expires_at": session.expiresAt.rfc3339,
            "expires_at_unix": session.expiresAt.unixSeconds,
            "success_url": session.successURL ?? "",
            "cancel_url": session.cancelURL ?? "",
            "events_url": "/checkout/\(session.id)/events",
            "transactions_url": "/checkout/\(session.id)/transactions",
            "is_pending": status == .pending && !underpaid,
            "is_underpaid": underpaid,
            "is_confirming": status == .confirming,
            "is_completed": status == .completed,
            "is_expired": status == .expired,
            "is_canceled": status == .canceled,
            "is_failed": status == .failed,
            "is_refunded": status == .refunded,
            "is_partially_refunded": status == .partiallyRefunded,
            "is_open": status == .pending || status == .confirming,
            "has_late": !session.amountLate.isZero,
            "options": options,
            "selected": selectedContext,
            "payments": session.payments.map { payment -> [String: Any] in
                [
                    "tx_hash": payment.transfer.transactionHash.hex,
                    "network": payment.transfer.network,
                    "token": payment.token,
                    "amount": AmountText.format(payment.transfer.amount, scale: payment.decimals),
                    "status": payment.transfer.state.rawValue,
                    "confirmations": payment.transfer.confirmations,
                    "confirmations_required": payment.confirmationsRequired,
                    "late": payment.late,
                ]
            },
        ]
    }

    func optionContext(_ option: PaymentOption, index: Int, selected: Bool) -> [String: Any] {
        [
            "index": index,
            "href": "?option=\(index)",
            "selected": selected,
            "network": option.network,
            "chain_id": option.chainId,
            "chain_id_hex": "0x" + String(option.chainId, radix: 16),
            "token": option.token,
            "token_address": option.tokenAddress.checksummed,
            "pay_to": option.payTo.checksummed,
            "amount_due": AmountText.format(option.amountDue, scale: option.decimals),
            "amount_due_base_units": option.amountDue.decimalString,
            "decimals": option.decimals,
            "uri": option.paymentRequest.uri,
            "confirmations_required": option.confirmations,
            "remaining_due": session.remainderDue(option).map { AmountText.format($0, scale: option.decimals) } ?? "",
        ]
    }

    /// The public view sent on the event stream: no client secret, no metadata.
    static func eventJSON(_ session: PaymentSession) -> JSONValue {
        let state = session.state
        return .object(
            JSONObject([
                "id": .string(session.id),
                "status": .string(session.status.rawValue),
                "amount": .string(session.amount),
                "currency": .string(session.currency),
                "amount_due": .string(session.format(session.amountDueUnits)),
                "amount_received": .string(session.format(state.amountReceived)),
                "amount_remaining": .string(session.format(state.underpaid)),
                "amount_overpaid": .string(session.format(state.overpaid)),
                "amount_late": .string(session.format(session.amountLate)),
                "expires_at": .string(session.expiresAt.rfc3339),
                "success_url": .string(session.successURL),
                "cancel_url": .string(session.cancelURL),
                "remaining_due": .array(
                    session.options.map { option in
                        .string(session.remainderDue(option).map { AmountText.format($0, scale: option.decimals) })
                    }),
                "payments": .array(
                    session.payments.map { payment in
                        .object(
                            JSONObject([
                                "tx_hash": .string(payment.transfer.transactionHash.hex),
                                "network": .string(payment.transfer.network),
                                "token": .string(payment.token),
                                "amount": .string(AmountText.format(payment.transfer.amount, scale: payment.decimals)),
                                "status": .string(payment.transfer.state.rawValue),
                                "confirmations": .int(payment.transfer.confirmations),
                                "confirmations_required": .int(payment.confirmationsRequired),
                                "late": .bool(payment.late),
                            ]))
                    }),
            ]))
    }
}
