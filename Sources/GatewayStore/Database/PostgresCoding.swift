import EthereumCore
import Foundation
import GatewayDomain
import NIOCore
import PostgresNIO

// Columns decode into the product's own types, so that rows are read by type and a malformed
// value is a decoding error, never a silently wrong one. Addresses and hashes are stored as
// lowercase 0x-hex text, amounts as NUMERIC(78,0), times as timestamptz.

extension Address: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable,
    PostgresArrayDecodable
{
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .textArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(lowercased)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard let text = buffer.readString(length: buffer.readableBytes), let address = try? Address(text) else {
            throw PostgresDecodingError.Code.failure
        }
        self = address
    }
}

extension TxHash: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable,
    PostgresArrayDecodable
{
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .textArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(hex)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        self.init(raw: try decodeHash(&buffer))
    }
}

extension BlockHash: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable,
    PostgresArrayDecodable
{
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .textArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(hex)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        self.init(raw: try decodeHash(&buffer))
    }
}

/// A 32-byte hash stored as 0x-hex text.
private func decodeHash(_ buffer: inout ByteBuffer) throws -> Bytes32 {
    guard let text = buffer.readString(length: buffer.readableBytes), let raw = try? Bytes32(hex: text) else {
        throw PostgresDecodingError.Code.failure
    }
    return raw
}

/// Amounts as NUMERIC(78,0): sent as decimal text, read from Postgres's binary numeric
/// (base-10000 digits). A negative, fractional or NaN value is a decoding error.
extension UInt256: PostgresNonThrowingEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .numeric }
    public static var psqlFormat: PostgresFormat { .text }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(decimalString)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        switch (format, type) {
        case (.binary, .numeric):
            guard let value = Self.decodeNumeric(&buffer) else { throw PostgresDecodingError.Code.failure }
            self = value
        case (.text, _), (_, .text), (_, .varchar):
            guard let text = buffer.readString(length: buffer.readableBytes), let value = try? UInt256(decimal: text) else {
                throw PostgresDecodingError.Code.failure
            }
            self = value
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
    }

    /// Postgres's binary numeric: ndigits, weight, sign, dscale (16 bits each), then ndigits
    /// base-10000 digits; the value is Σ digit[i] · 10000^(weight − i).
    static func decodeNumeric(_ buffer: inout ByteBuffer) -> UInt256? {
        guard let count = buffer.readInteger(as: Int16.self), let weight = buffer.readInteger(as: Int16.self),
            let sign = buffer.readInteger(as: UInt16.self), buffer.readInteger(as: Int16.self) != nil, count >= 0, sign == 0
        else { return nil }
        var digits: [UInt16] = []
        for _ in 0..<count {
            guard let digit = buffer.readInteger(as: UInt16.self), digit < 10_000 else { return nil }
            digits.append(digit)
        }
        guard buffer.readableBytes == 0 else { return nil }
        if digits.isEmpty { return .zero }
        // Digits after the decimal point must be zero for an integer.
        let integerGroups = Int(weight) + 1
        guard integerGroups >= 0, integerGroups <= 20 else { return nil }
        var value = UInt256.zero
        let base = UInt256(10_000)
        for index in 0..<Swift.max(integerGroups, digits.count) {
            let digit = index < digits.count ? digits[index] : 0
            if index >= integerGroups {
                guard digit == 0 else { return nil }
                continue
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: base)
            guard !overflow else { return nil }
            let (sum, carry) = scaled.addingReportingOverflow(UInt256(UInt64(digit)))
            guard !carry else { return nil }
            value = sum
        }
        return value
    }
}

/// Times as timestamptz, to the second (the API shows whole seconds).
extension Timestamp: PostgresNonThrowingEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .timestamptz }
    public static var psqlFormat: PostgresFormat { .binary }
    /// Seconds from 1970 to Postgres's epoch, 2000-01-01.
    static let postgresEpoch: Int64 = 946_684_800

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger((unixSeconds - Self.postgresEpoch) &* 1_000_000)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
            let microseconds = buffer.readInteger(as: Int64.self)
        else { throw PostgresDecodingError.Code.typeMismatch }
        // Floor division, so a time before a whole second never rounds up into it.
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        self.init(unixSeconds: seconds + Self.postgresEpoch)
    }
}
