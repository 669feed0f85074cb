import CSV
import Foundation
import GatewayDomain

/// Writes an ``ExportTable`` as RFC 4180 CSV: UTF-8 without a byte order mark, CRLF line
/// ends (the last line too), a field quoted when it holds a quote, comma or line break (the
/// quoting is CSV.swift's `CSVWriter`). The cells arrive already neutralised (``ExportCell``).
public enum CSVEncoding {
    public static func encode(_ table: ExportTable) throws -> [UInt8] {
        let stream = OutputStream(toMemory: ())
        do {
            let writer = try CSVWriter(stream: stream, newline: .crlf)
            try writer.write(row: table.header)
            for row in table.rows { try writer.write(row: row) }
        }
        defer { stream.close() }
        guard let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
            throw CSVEncodingError.noOutput
        }
        return Array(data) + [0x0D, 0x0A]
    }
}

/// The memory stream kept nothing (never expected: it grows as written).
public enum CSVEncodingError: Error, CustomStringConvertible {
    case noOutput
    public var description: String { "the CSV writer produced no output" }
}
