import Foundation
import GatewayDomain
import Logging

/// Writes each log entry as one JSON object on one line (`--log-format json`), for log
/// shippers: `time` (UTC, RFC 3339 with milliseconds), `level`, `logger`, `message`, then the
/// entry's metadata as top-level fields (`request_id`, `network`, `error`, …). It prints what
/// the call site gave it and nothing more: the values were redacted where they were logged
/// (provider URLs without credentials, never a key or passphrase), as in the text format.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    /// Fields the entry itself fills; metadata with these names is prefixed with `metadata.`.
    static let reserved: Set<String> = ["time", "level", "logger", "message"]

    /// A handler writing to standard error, or to `write` (tests).
    public init(label: String, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.write = write ?? { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged(event.metadata)))
    }

    func merged(_ extra: Logger.Metadata?) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra { all.merge(extra) { _, new in new } }
        return all
    }

    /// One entry as its line, newline included.
    public static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var members = [
            JSONObject.Member(key: "time", value: .string(time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))),
            JSONObject.Member(key: "level", value: .string(level.rawValue)),
            JSONObject.Member(key: "logger", value: .string(label)),
            JSONObject.Member(key: "message", value: .string(message)),
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            members.append(JSONObject.Member(key: reserved.contains(key) ? "metadata.\(key)" : key, value: json(value)))
        }
        return JSONValue.object(JSONObject(members: members)).serialized + "\n"
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(json))
        case .dictionary(let entries):
            return .object(
                JSONObject(members: entries.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: json($0.value)) }))
        }
    }
}
