import Foundation
import Hummingbird

/// A request's query parameters with names and values percent-decoded, so that
/// `created%5Bgte%5D=…` (as browsers and HTTP libraries send it) means `created[gte]=…`.
/// The first occurrence of a name wins.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ request: Request) {
        guard let query = request.uri.query else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            guard !name.isEmpty, values[name] == nil else { continue }
            values[name] = parts.count == 2 ? Self.decode(parts[1]) : ""
        }
    }

    /// `+` is a space in forms; a malformed escape is kept as written (and then fails validation).
    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(name: String) -> String? { values[name] }
}
