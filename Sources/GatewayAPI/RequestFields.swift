import Foundation
import GatewayDomain
import Hummingbird
import NIOCore

/// The fields of a JSON request body, checked one by one so that each refusal names the
/// field and says what it should be.
struct RequestFields {
    let object: JSONObject

    /// Parses a body that must be one JSON object; unknown fields are refused.
    init(body: ByteBuffer, allowed: Set<String>) throws {
        let bytes = Array(buffer: body)
        guard !bytes.isEmpty else {
            throw APIError(
                status: .badRequest, code: "body_missing", "send a JSON object as the request body (Content-Type: application/json)")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            // Text Postgres cannot hold is refused here, naming the field that holds it.
            switch error.reason {
            case .syntax, .tooDeep:
                throw APIError(status: .badRequest, code: "json_invalid", "\(error); send one JSON object")
            case .duplicateKey:
                throw APIError(status: .badRequest, code: "json_invalid", param: error.field, "\(error); send one JSON object")
            case .invalidUTF8, .loneSurrogate, .nulCharacter:
                throw APIError(status: .badRequest, code: "parameter_invalid", param: error.field, error.description)
            }
        }
        guard case .object(let object) = value else {
            throw APIError(status: .badRequest, code: "json_invalid", "the request body must be a JSON object, not \(value.kind)")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw APIError(
                status: .badRequest, code: "parameter_unknown", param: key.isEmpty ? nil : key,
                "unknown field '\(key)'; accepted fields are \(allowed.sorted().joined(separator: ", "))")
        }
        self.object = object
    }

    private func value(_ name: String) -> JSONValue? {
        guard let value = object[name], value != .null else { return nil }
        return value
    }

    func string(_ name: String, required: Bool = false, maxLength: Int = 10_000) throws -> String? {
        guard let value = value(name) else {
            if required { throw APIError(status: .badRequest, code: "parameter_missing", param: name, "\(name) is required") }
            return nil
        }
        guard case .string(let text) = value else {
            throw APIError(status: .badRequest, code: "parameter_invalid_type", param: name, "\(name) must be a string, not \(value.kind)")
        }
        guard text.count <= maxLength else {
            throw APIError(status: .badRequest, code: "parameter_too_long", param: name, "\(name) is longer than \(maxLength) characters")
        }
        return text
    }

    func int(_ name: String) throws -> Int? {
        guard let value = value(name) else { return nil }
        guard case .int(let number) = value, let int = Int(exactly: number) else {
            throw APIError(
                status: .badRequest, code: "parameter_invalid_type", param: name, "\(name) must be an integer, not \(value.kind)")
        }
        return int
    }

    func stringArray(_ name: String, maxCount: Int = 50) throws -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value, items.count <= maxCount else {
            throw APIError(
                status: .badRequest, code: "parameter_invalid_type", param: name, "\(name) must be an array of at most \(maxCount) strings")
        }
        return try items.map { item in
            guard case .string(let text) = item else {
                throw APIError(
                    status: .badRequest, code: "parameter_invalid_type", param: name, "\(name) must hold strings, not \(item.kind)")
            }
            return text
        }
    }

    func stringMap(_ name: String) throws -> [String: String]? {
        guard let value = value(name) else { return nil }
        guard case .object(let members) = value else {
            throw APIError(
                status: .badRequest, code: "parameter_invalid_type", param: name,
                "\(name) must be an object of string values, not \(value.kind)")
        }
        var out: [String: String] = [:]
        for member in members.members {
            guard case .string(let text) = member.value else {
                throw APIError(
                    status: .badRequest, code: "parameter_invalid_type", param: name,
                    "\(name).\(member.key) must be a string, not \(member.value.kind)")
            }
            out[member.key] = text
        }
        return out
    }
}
