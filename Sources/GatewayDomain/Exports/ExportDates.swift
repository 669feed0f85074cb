/// A calendar date as a merchant writes it, `YYYY-MM-DD`, without a time zone: the exports'
/// `from` and `to`. Parsed strictly (four-digit year from 1970, real month and day), so that a
/// malformed date is refused rather than guessed at.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The years an export may name: the chains' era, and a bound that keeps day counts small.
    public static let years = 1970...9998

    public init?(year: Int, month: Int, day: Int) {
        guard Self.years.contains(year), (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
            return nil
        }
        self.init(checked: year, month, day)
    }

    private init(checked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The first day an export may name.
    public static let epoch = LocalDate(checked: 1970, 1, 1)

    /// `2026-03-31`; anything else (other separators, signs, short fields, a 30 February) is nil.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (the inverse of `Timestamp.civil`).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` days since 1970-01-01 (within `years`).
    init?(daysSinceEpoch days: Int64) {
        let (year, month, day) = Timestamp.civil(daysSinceEpoch: days)
        self.init(year: Int(year), month: Int(month), day: Int(day))
    }

    /// The next calendar day, nil past the last year an export may name.
    public var next: LocalDate? { LocalDate(daysSinceEpoch: daysSinceEpoch + 1) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// A merchant's time zone as the exports need it: its offset from UTC at an instant. The store
/// gives Foundation's `TimeZone` (IANA rules, daylight saving); tests give fixed offsets.
public protocol ExportTimeZone: Sendable {
    /// Seconds to add to UTC to get the local time at `instant` (+3600 for Paris in winter).
    func secondsFromUTC(at instant: Timestamp) -> Int
}

/// A time zone that is always `seconds` ahead of UTC (UTC itself with 0).
public struct FixedOffsetZone: ExportTimeZone {
    public let seconds: Int
    public init(seconds: Int) { self.seconds = seconds }
    public func secondsFromUTC(at instant: Timestamp) -> Int { seconds }
}

/// An export's dates: `from` through `to`, both included, in the merchant's time zone.
public struct ExportDateRange: Sendable, Hashable {
    public let from: LocalDate
    public let to: LocalDate

    /// The longest range one export covers, so that one request reads a bounded number of rows.
    public static let maxDays: Int64 = 366

    /// Checks `from` ≤ `to` and the span; the parameter names are the API's.
    public init(from: String, to: String) throws(RequestError) {
        guard let start = LocalDate(from) else {
            throw RequestError(code: "parameter_invalid", param: "from", "from is a date, YYYY-MM-DD")
        }
        guard let end = LocalDate(to) else {
            throw RequestError(code: "parameter_invalid", param: "to", "to is a date, YYYY-MM-DD")
        }
        try self.init(from: start, to: end)
    }

    public init(from: LocalDate, to: LocalDate) throws(RequestError) {
        guard from <= to else {
            throw RequestError(code: "parameter_invalid", param: "to", "to (\(to)) is before from (\(from))")
        }
        guard to.daysSinceEpoch - from.daysSinceEpoch < Self.maxDays else {
            throw RequestError(code: "parameter_invalid", param: "to", "an export covers at most \(Self.maxDays) days")
        }
        self.from = from
        self.to = to
    }

    /// The instants the range covers in `zone`: from the start of `from` up to, not including,
    /// the start of the day after `to`.
    public func window(in zone: some ExportTimeZone) -> (start: Timestamp, end: Timestamp) {
        (Self.startOfDay(from.daysSinceEpoch, in: zone), Self.startOfDay(to.daysSinceEpoch + 1, in: zone))
    }

    /// The first instant of a local day: local midnight read as UTC, less the zone's offset at
    /// that instant (asked twice, so that a day whose offset changes overnight starts at its own
    /// offset; a midnight that daylight saving skips starts at the first local time after it).
    static func startOfDay(_ days: Int64, in zone: some ExportTimeZone) -> Timestamp {
        let localMidnight = days * 86_400
        let guess = localMidnight - Int64(zone.secondsFromUTC(at: Timestamp(unixSeconds: localMidnight)))
        let settled = localMidnight - Int64(zone.secondsFromUTC(at: Timestamp(unixSeconds: guess)))
        return Timestamp(unixSeconds: settled)
    }
}

/// An instant as the merchant's books show it: the local date and time in their time zone.
public struct LocalTime: Sendable, Hashable {
    public let date: LocalDate
    public let secondOfDay: Int

    public init(_ instant: Timestamp, in zone: some ExportTimeZone) {
        let local = instant.unixSeconds &+ Int64(zone.secondsFromUTC(at: instant))
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let (year, month, day) = Timestamp.civil(daysSinceEpoch: days)
        // Instants come from the database (years 1970 to 9999), so the date always exists; the
        // fallback only keeps a corrupt value from trapping.
        date = LocalDate(year: Int(year), month: Int(month), day: Int(day)) ?? .epoch
        secondOfDay = Int(local - days * 86_400)
    }

    /// `YYYY-MM-DD`.
    public var isoDate: String { date.description }
    /// `HH:MM:SS`.
    public var time: String {
        "\(LocalDate.pad(secondOfDay / 3600, 2)):\(LocalDate.pad(secondOfDay % 3600 / 60, 2)):\(LocalDate.pad(secondOfDay % 60, 2))"
    }
    /// `MM/DD/YYYY`, the date QuickBooks reads in its bank files.
    public var monthDayYear: String { "\(LocalDate.pad(date.month, 2))/\(LocalDate.pad(date.day, 2))/\(LocalDate.pad(date.year, 4))" }
    /// `DD/MM/YYYY`, the date Xero reads in its bank statements.
    public var dayMonthYear: String { "\(LocalDate.pad(date.day, 2))/\(LocalDate.pad(date.month, 2))/\(LocalDate.pad(date.year, 4))" }
}
