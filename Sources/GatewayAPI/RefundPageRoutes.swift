import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The customer's refund page (`refund_url`): public like the checkout page, opened by its
/// unguessable id, its one write guarded by the client secret embedded in it. The customer
/// types (or has the wallet fill in) an address, sees it checked and checksummed, and confirms
/// it in a second step. Plain HTML forms: it works without JavaScript. Rate limited like the
/// checkout: per client address over every public page, and the address form per refund and
/// per client address with the checkout claims' limits.
struct RefundPageRoutes {
    let refunds: RefundStore
    let configuration: APIConfiguration
    let limiter: RateLimiter
    let template: MustacheTemplate

    init(refunds: RefundStore, configuration: APIConfiguration, limiter: RateLimiter) throws {
        self.refunds = refunds
        self.configuration = configuration
        self.limiter = limiter
        self.template = try MustacheTemplate(string: String(decoding: PackageResources.refund_html_mustache, as: UTF8.self))
    }

    func register(on router: Router<APIContext>) {
        let router = router.group("").add(middleware: ClientLimitMiddleware(limiter: limiter, limit: configuration.checkoutRateLimit))
        router.get("refund/assets/refund.js") { _, _ in
            CheckoutRoutes.asset(PackageResources.refund_js, type: "text/javascript; charset=utf-8")
        }
        router.get("refund/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let (refund, merchantName) = try await refunds.publicRefund(id: id) else { return Self.messagePage(.notFound) }
            return render(RefundPage(refund: refund, merchantName: merchantName), status: .ok)
        }
        router.post("refund/:id/destination") { request, context in
            let id = try context.parameters.require("id")
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: APIConfiguration.maxBodyBytes)
            } catch {
                return Self.messagePage(.contentTooLarge)
            }
            for (bucket, limit) in [
                ("refund-destination:" + id.prefix(100), configuration.claimRateLimit),
                ("claim-client:" + context.clientAddress, configuration.claimClientRateLimit),
            ] {
                if let decision = await limiter.take(key: bucket, limit: limit), !decision.allowed {
                    throw RateLimitHeaders.refusal(decision, headers: RateLimitHeaders.for([decision]), "too many addresses entered")
                }
            }
            // Read as strictly as JSON bodies: a form that is not UTF-8, or carries control
            // characters, is refused whole.
            guard let form = FormFields(body) else { return Self.messagePage(.badRequest) }
            guard let (refund, merchantName) = try await refunds.publicRefund(id: id),
                APIKeySecret.constantTimeEqual(Array(refund.clientSecret.utf8), Array((form["client_secret"] ?? "").utf8))
            else { return Self.messagePage(.notFound) }
            var page = RefundPage(refund: refund, merchantName: merchantName)
            guard page.asksDestination else {
                page.error = "This refund already has an address; it cannot be changed here."
                return render(page, status: .conflict)
            }
            let entered = String((form["address"] ?? "").prefix(100))
            do {
                let address = try RefundDestination.parse(
                    entered, asset: refund.asset, hotWallet: refunds.hotWallets[refund.asset.network], param: "address")
                guard form["step"] == "confirm" else {
                    page.confirmAddress = address.checksummed
                    return render(page, status: .ok)
                }
                _ = try await refunds.setDestination(id: id, clientSecret: refund.clientSecret, destination: address.checksummed)
                var headers = HTMLPageHeaders.fields
                headers[.contentType] = nil
                headers[.location] = "/refund/\(refund.id)"
                return Response(status: .seeOther, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "")))
            } catch let error as RequestError {
                page.error = error.message
                page.entered = entered
                return render(page, status: error.kind == .conflict ? .conflict : .badRequest)
            }
        }
    }

    func render(_ page: RefundPage, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: HTMLPageHeaders.fields, body: .init(byteBuffer: ByteBuffer(string: template.render(page.context))))
    }

    /// A page that says one thing: the refund is unknown (a wrong link or secret), or the form
    /// was too large or unreadable.
    static func messagePage(_ status: HTTPResponse.Status) -> Response {
        let (title, text) =
            switch status {
            case .notFound: ("Refund not found", "This refund link is not valid. Ask the merchant for a new one.")
            case .contentTooLarge: ("Request too large", "The form was too large. Go back and try again.")
            default: ("Request not understood", "The form could not be read. Go back and try again.")
            }
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>\(title)</title><link rel="stylesheet" href="/checkout/assets/checkout.css"></head>\
            <body><main><h1>\(title)</h1><p>\(text)</p></main></body></html>
            """
        return Response(status: status, headers: HTMLPageHeaders.fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// An `application/x-www-form-urlencoded` body; the first value of a name wins. Nil when the
/// body or a decoded name or value is not valid UTF-8 or holds a control character (NUL
/// included): nothing of such a form is used.
struct FormFields {
    private var values: [String: String] = [:]

    init?(_ body: ByteBuffer) {
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else { return nil }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = QueryParameters.decode(parts[0])
            let value = parts.count == 2 ? QueryParameters.decode(parts[1]) : ""
            guard Self.isClean(name), Self.isClean(value) else { return nil }
            guard !name.isEmpty, values[name] == nil else { continue }
            values[name] = value
        }
    }

    /// No replacement character (what percent-decoding leaves of bytes that are not UTF-8) and
    /// no control character.
    static func isClean(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 == "\u{FFFD}" || $0.properties.generalCategory == .control }
    }

    subscript(name: String) -> String? { values[name] }
}

/// What the refund template shows.
struct RefundPage {
    let refund: Refund
    let merchantName: String
    var error: String?
    var entered = ""
    /// The checked address the customer is asked to confirm.
    var confirmAddress: String?

    /// The page asks the customer for an address while the refund has none and has not ended.
    var asksDestination: Bool {
        refund.destinationSource == .customer && refund.destination == nil && !refund.status.hasEnded
    }

    var context: [String: Any] {
        let (badge, label, detail) = Self.describe(refund)
        return [
            "refund_id": refund.id,
            "session_id": refund.sessionId,
            "merchant_name": merchantName,
            "amount": refund.asset.format(refund.amount),
            "token": refund.asset.token,
            "network": refund.asset.network,
            "chain_id": refund.asset.chainId,
            "status": refund.status.rawValue,
            "status_reason": refund.statusReason.rawValue,
            "badge": badge,
            "status_label": label,
            "status_detail": detail,
            "has_destination": refund.destination != nil,
            "destination": refund.destination?.checksummed ?? "",
            "has_tx_hash": refund.txHash != nil,
            "tx_hash": refund.txHash?.hex ?? "",
            "client_secret": refund.clientSecret,
            "asks_destination": asksDestination && confirmAddress == nil,
            "confirming": confirmAddress != nil,
            "confirm_address": confirmAddress ?? "",
            "entered": entered,
            "has_error": error != nil,
            "error": error ?? "",
        ]
    }

    /// The badge's state (a checkout badge style), its label and a sentence for the customer.
    static func describe(_ refund: Refund) -> (String, String, String) {
        switch (refund.status, refund.statusReason) {
        case (.requiresAction, .awaitingDestination):
            return ("pending", "Waiting for your address", "Tell us where to send the refund.")
        case (.requiresAction, .awaitingApproval):
            return (
                "pending", "Being reviewed",
                refund.destination == nil
                    ? "The merchant is reviewing this refund. You can give your address now."
                    : "The merchant is reviewing this refund; it is sent once approved."
            )
        case (.requiresAction, _):
            return ("pending", "Being prepared", "The refund will be sent shortly.")
        case (.pending, _):
            return ("confirming", "On its way", "The refund is being sent on \(refund.asset.network); this page updates itself.")
        case (.succeeded, _):
            return ("completed", "Refunded", "The refund has arrived.")
        case (.failed, _):
            return ("failed", "Failed", "The refund could not be sent. Contact the merchant.")
        case (.canceled, _):
            return ("canceled", "Canceled", "The merchant canceled this refund.")
        }
    }
}
