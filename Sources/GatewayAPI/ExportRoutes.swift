import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The accounting exports under `/v1/exports` (`read` scope), CSV files of the key's merchant and
/// mode: `payments.csv`, `ledger.csv`, and the bank files `quickbooks.csv` and `xero.csv` one
/// network, token and part at a time. Every file is described in docs/EXPORTS.md.
struct ExportRoutes {
    let exports: ExportService

    func register(on v1: RouterGroup<APIContext>) {
        for kind in ExportKind.allCases {
            v1.get("exports/\(kind.rawValue).csv") { request, context in
                let key = try context.require(.read)
                let query = QueryParameters(request)
                let range = try ExportDateRange(from: try Self.required(query, "from"), to: try Self.required(query, "to"))
                let file = try await exports.file(
                    merchantId: key.merchantId, livemode: key.livemode, kind: kind, range: range,
                    network: try Self.bounded(query, "network", maxLength: 50), token: try Self.bounded(query, "token", maxLength: 20),
                    part: try Self.part(query))
                var headers: HTTPFields = [
                    .contentType: ExportFile.contentType, .contentDisposition: "attachment; filename=\"\(file.name)\"",
                    .cacheControl: "no-store", .exportParts: String(file.parts), .exportPart: String(file.part),
                ]
                headers[.exportRows] = String(file.rows)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
            }
        }
    }

    static func required(_ query: QueryParameters, _ name: String) throws -> String {
        guard let value = query[name], !value.isEmpty else {
            throw APIError(status: .badRequest, code: "parameter_missing", param: name, "\(name) is required: a date, YYYY-MM-DD")
        }
        return value
    }

    static func bounded(_ query: QueryParameters, _ name: String, maxLength: Int) throws -> String? {
        guard let value = query[name] else { return nil }
        guard value.count <= maxLength else {
            throw APIError(status: .badRequest, code: "parameter_invalid", param: name, "\(name) is at most \(maxLength) characters")
        }
        return value
    }

    /// `part`, 1-based, 1 when absent.
    static func part(_ query: QueryParameters) throws -> Int {
        guard let text = query["part"] else { return 1 }
        guard text.utf8.count <= 6, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let part = Int(text),
            part >= 1
        else { throw APIError(status: .badRequest, code: "parameter_invalid", param: "part", "part is a whole number from 1") }
        return part
    }
}

extension HTTPField.Name {
    /// How many parts the bank file has (1 for `payments` and `ledger`).
    static let exportParts = HTTPField.Name("X-Export-Parts")!
    /// Which part this is, 1-based.
    static let exportPart = HTTPField.Name("X-Export-Part")!
    /// Data rows in this file, the header not counted.
    static let exportRows = HTTPField.Name("X-Export-Rows")!
}
