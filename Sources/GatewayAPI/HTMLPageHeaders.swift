import HTTPTypes

/// The headers every HTML page of the gateway sends (checkout, refund): a strict
/// Content-Security-Policy (scripts and styles from the gateway only, no inline script, no
/// framing), `nosniff`, no referrer, and no caching of pages that carry secrets.
enum HTMLPageHeaders {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static var fields: HTTPFields {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return headers
    }
}
