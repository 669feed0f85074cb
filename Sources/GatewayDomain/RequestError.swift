/// A request the API refuses, with what to fix. It maps to the API's one error shape
/// (`{"error":{"type","code","message","param"}}`); the HTTP layer picks the status from ``kind``.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Malformed or invalid input: 400.
        case invalid
        /// Well-formed but cannot be done for this merchant or in this state: 422 or 409.
        case unprocessable
        case conflict
        case notFound
    }

    public let kind: Kind
    /// A stable snake_case code clients can branch on.
    public let code: String
    public let message: String
    /// The request field at fault, when there is one.
    public let param: String?

    public init(_ kind: Kind = .invalid, code: String, param: String? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.param = param
    }

    public var description: String { message }
}
