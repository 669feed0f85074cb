import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// An error as the API reports it, in the one shape:
/// `{"error":{"type","code","message","param","request_id"}}`. Every error a route throws is
/// mapped here (``APIError/from(_:)``); server errors say nothing of their cause.
public struct APIError: Error, Sendable {
    public enum ErrorType: String, Sendable {
        case invalidRequest = "invalid_request_error"
        case authentication = "authentication_error"
        case permission = "permission_error"
        case rateLimit = "rate_limit_error"
        case idempotency = "idempotency_error"
        case api = "api_error"
    }

    public let status: HTTPResponse.Status
    public let type: ErrorType
    public let code: String
    public let message: String
    public let param: String?
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, type: ErrorType = .invalidRequest, code: String, param: String? = nil, _ message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
    }

    static func notFound(_ what: String, param: String? = "id") -> APIError {
        APIError(status: .notFound, code: "resource_missing", param: param, "no \(what)")
    }

    /// Maps any error to the API's shape. Only errors made for clients carry their message.
    static func from(_ error: any Error) -> APIError {
        if error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge {
            return APIError(
                status: .contentTooLarge, code: "body_too_large", "the request body is larger than \(APIConfiguration.maxBodyBytes) bytes")
        }
        switch error {
        case let error as APIError:
            return error
        case let error as RequestError:
            let status: HTTPResponse.Status
            switch error.kind {
            case .invalid: status = .badRequest
            case .unprocessable: status = .unprocessableContent
            case .conflict: status = .conflict
            case .notFound: status = .notFound
            }
            return APIError(status: status, code: error.code, param: error.param, error.message)
        case let error as HTTPError where error.status.code < 500:
            return APIError(status: error.status, code: "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
        case let error where isDatabaseUnavailable(error):
            return AvailabilityMiddleware.unavailable
        default:
            return APIError(
                status: .internalServerError, type: .api, code: "internal_error",
                "the server could not complete the request; it was logged, try again")
        }
    }

    func json(requestId: String) -> JSONValue {
        var inner = JSONObject(["type": .string(type.rawValue), "code": .string(code), "message": .string(message)])
        if let param { inner.append("param", .string(param)) }
        inner.append("request_id", .string(requestId))
        return .object(JSONObject(["error": .object(inner)]))
    }
}

/// JSON responses from `JSONValue`, serialised once.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        make(status, bytes: Array(value.serialized.utf8), headers: headers)
    }

    static func make(_ status: HTTPResponse.Status, bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Gives every response an `X-Request-Id`, and renders every error in the one shape.
struct RequestIdAndErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .serviceUnavailable {
                context.logger.warning("request refused: the database is away", metadata: ["path": "\(request.uri.path)"])
            } else if apiError.status.code >= 500 {
                context.logger.error(
                    "request failed", metadata: ["error": "\(describeDatabaseError(error))", "path": "\(request.uri.path)"])
            }
            response = JSONResponse.make(apiError.status, apiError.json(requestId: context.requestId), headers: apiError.headers)
        }
        response.headers[.requestId] = context.requestId
        return response
    }
}

extension HTTPField.Name {
    static let requestId = HTTPField.Name("X-Request-Id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let rateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}
