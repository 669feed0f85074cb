import EthereumCore

/// One schema migration: a numbered SQL script from `Sources/GatewayStore/Migrations`.
///
/// The scripts are embedded in the code at build time (SwiftPM's `embedInCode` resources), so
/// the `gateway` binary and the tests carry them with no resource bundle beside them. A new
/// migration is a new file `NNNN_name.sql` in that folder plus one line in ``bundled``.
///
/// A script is a sequence of SQL statements separated by `;`. The ``Migrator`` runs them one by
/// one inside one transaction, so a script must not contain `BEGIN`/`COMMIT` or statements
/// that cannot run in a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`).
public struct Migration: Sendable, Hashable, CustomStringConvertible {
    /// The number that orders migrations: the file name's leading digits.
    public let version: Int
    /// The file name without `.sql`, e.g. `0001_monitor`.
    public let name: String
    /// The script.
    public let sql: String
    /// Keccak-256 of the script's UTF-8 bytes, 64 lowercase hex digits: recorded when the
    /// migration is applied, so that a script changed afterwards is noticed.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Hex.encode(Keccak256.hash(Array(sql.utf8)).bytes, prefix: false)
    }

    /// From a file name `NNNN_name.sql` (the version is the leading digits) and its text.
    public init(fileName: String, sql: String) throws(MigrationError) {
        guard fileName.hasSuffix(".sql") else { throw .invalidMigrationList("\(fileName): a migration file name ends in .sql") }
        let name = String(fileName.dropLast(4))
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let version = Int(digits), version > 0, name.dropFirst(digits.count).first == "_" else {
            throw .invalidMigrationList("\(fileName): a migration file is named NNNN_name.sql with NNNN a positive number")
        }
        self.init(version: version, name: name, sql: sql)
    }

    public var description: String { name }

    /// The migrations shipped with this build, in order.
    public static let bundled: [Migration] = {
        let files: [(String, [UInt8])] = [
            ("0001_monitor.sql", PackageResources._001_monitor_sql),
            ("0002_checkout.sql", PackageResources._002_checkout_sql),
            ("0003_webhooks.sql", PackageResources._003_webhooks_sql),
            ("0004_transfer_changes.sql", PackageResources._004_transfer_changes_sql),
            ("0005_payment_integrity.sql", PackageResources._005_payment_integrity_sql),
            ("0006_refunds.sql", PackageResources._006_refunds_sql),
            ("0007_change_notices.sql", PackageResources._007_change_notices_sql),
            ("0008_credential_notices.sql", PackageResources._008_credential_notices_sql),
            ("0009_refund_notices.sql", PackageResources._009_refund_notices_sql),
            ("0010_merchant_time_zone.sql", PackageResources._010_merchant_time_zone_sql),
            ("0011_console.sql", PackageResources._011_console_sql),
            ("0012_balance_history.sql", PackageResources._012_balance_history_sql),
            ("0013_notify_only_on_rows.sql", PackageResources._013_notify_only_on_rows_sql),
            ("0014_refund_sender_leases.sql", PackageResources._014_refund_sender_leases_sql),
            ("0015_claims_per_session.sql", PackageResources._015_claims_per_session_sql),
        ]
        do {
            return try files.map { name, bytes throws(MigrationError) in
                try Migration(fileName: name, sql: String(decoding: bytes, as: UTF8.self))
            }
        } catch {
            preconditionFailure("the embedded migrations are malformed: \(error)")
        }
    }()

    /// Checks that versions are positive, unique and increasing.
    static func validate(_ migrations: [Migration]) throws(MigrationError) {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw .invalidMigrationList(
                    "migration \(migration.name) (version \(migration.version)) must come after version \(previous): versions are positive, unique and increasing"
                )
            }
            previous = migration.version
        }
    }

    /// The script's statements, split at the `;` that end them (not those inside quotes,
    /// quoted identifiers, dollar-quoted bodies or comments); statements that hold only
    /// comments and white space are dropped.
    public var statements: [String] { SQLScript.statements(sql) }
}

/// Splits an SQL script into statements, as psql does for a file.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var hasContent = false
        var i = 0

        func isIdentifierChar(_ c: Unicode.Scalar) -> Bool {
            c == "_" || c == "$" || c.properties.isAlphabetic || ("0"..."9").contains(c)
        }
        func append(_ range: Range<Int>) { current.append(contentsOf: chars[range]) }
        func flush() {
            if hasContent {
                out.append(String(current).trimmingWhitespace())
            }
            current = String.UnicodeScalarView()
            hasContent = false
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                // A line comment, to the end of the line.
                var j = i
                while j < chars.count, chars[j] != "\n" { j += 1 }
                append(i..<j)
                i = j
            case "/" where next == "*":
                // A block comment; they nest in SQL.
                var depth = 0
                var j = i
                while j < chars.count {
                    if chars[j] == "/", j + 1 < chars.count, chars[j + 1] == "*" {
                        depth += 1
                        j += 2
                    } else if chars[j] == "*", j + 1 < chars.count, chars[j + 1] == "/" {
                        depth -= 1
                        j += 2
                        if depth == 0 { break }
                    } else {
                        j += 1
                    }
                }
                append(i..<j)
                i = j
            case "'", "\"":
                // A string or a quoted identifier: a doubled quote stands for itself; in an
                // E'...' string a backslash escapes the next character.
                let escapes =
                    c == "'" && i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                    && (i < 2 || !isIdentifierChar(chars[i - 2]))
                var j = i + 1
                while j < chars.count {
                    if escapes, chars[j] == "\\" {
                        j += 2
                        continue
                    }
                    if chars[j] == c {
                        if j + 1 < chars.count, chars[j + 1] == c {
                            j += 2
                            continue
                        }
                        j += 1
                        break
                    }
                    j += 1
                }
                j = min(j, chars.count)
                append(i..<j)
                hasContent = true
                i = j
            case "$" where i == 0 || !isIdentifierChar(chars[i - 1]):
                // A dollar-quoted string: $tag$ ... $tag$ (the tag may be empty; it does not
                // start with a digit, which tells it from a parameter like $1).
                var j = i + 1
                while j < chars.count, chars[j] != "$", isIdentifierChar(chars[j]), !(j == i + 1 && ("0"..."9").contains(chars[j])) {
                    j += 1
                }
                guard j < chars.count, chars[j] == "$" else {
                    current.append(c)
                    hasContent = true
                    i += 1
                    continue
                }
                let tag = Array(chars[i...j])
                var k = j + 1
                var end = chars.count
                while k + tag.count <= chars.count {
                    if chars[k] == "$", Array(chars[k..<(k + tag.count)]) == tag {
                        end = k + tag.count
                        break
                    }
                    k += 1
                }
                append(i..<end)
                hasContent = true
                i = end
            case ";":
                flush()
                i += 1
            default:
                current.append(c)
                if !c.properties.isWhitespace { hasContent = true }
                i += 1
            }
        }
        flush()
        return out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
