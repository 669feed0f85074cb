import ArgumentParser
import Foundation
import GatewayDomain
import GatewayStore

/// `gateway export`: a merchant's accounting exports written as CSV files into a folder (the
/// same files as `GET /v1/exports/…`; names and columns in docs/EXPORTS.md). Prints one line
/// per file written: its name, data rows, and part.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a merchant's accounting exports (CSV) into a folder.",
        discussion: """
            --kind payments and ledger write one file; quickbooks and xero write one file per network, token and \
            part of at most 1,000 rows (none when the range holds no payment or refund). Dates are the merchant's \
            time zone, from and to both included.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The merchant's id (mer_…).") var merchant: String
    @Option(help: "payments, ledger, quickbooks or xero.") var kind: String
    @Option(help: "First day, YYYY-MM-DD, in the merchant's time zone.") var from: String
    @Option(help: "Last day, YYYY-MM-DD, included.") var to: String
    @Option(help: "The folder to write into (created if missing).") var out: String
    @Option(help: "live (live networks) or test (test networks).") var mode: String = "live"

    func run() async throws {
        guard let kind = ExportKind(rawValue: kind) else {
            throw CLIError("--kind is one of \(ExportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let mode = APIMode(rawValue: mode) else { throw CLIError("--mode is test or live") }
        let range: ExportDateRange
        do throws(RequestError) { range = try ExportDateRange(from: from, to: to) } catch {
            throw CLIError("--\(error.param ?? "from"): \(error.message)")
        }
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create \(out): \(error.localizedDescription)")
        }
        try await database.withStore { client, _ in
            let files: [ExportFile]
            do {
                files = try await ExportService(client: client).files(
                    merchantId: merchant, livemode: mode == .live, kind: kind, range: range)
            } catch let error as RequestError {
                throw CLIError(error.message)
            }
            for file in files {
                let path = folder.appendingPathComponent(file.name)
                do { try Data(file.bytes).write(to: path, options: .atomic) } catch {
                    throw CLIError("cannot write \(path.path): \(error.localizedDescription)")
                }
                print("\(file.name)\t\(file.rows) rows\tpart \(file.part) of \(file.parts)")
            }
            if files.isEmpty { print("no payments or refunds in \(range.from) to \(range.to): no \(kind.rawValue) file written") }
        }
    }
}
