import Synchronization

/// What kind of series a metric family holds, as Prometheus names it.
public enum MetricKind: String, Sendable, Hashable {
    case counter
    case gauge
    case histogram
}

/// One metric family: its name (with the `gateway_` prefix and a base unit), what it means,
/// its label names (each with a bounded set of values: never a merchant, a session or an
/// address) and, for a histogram, its bucket bounds.
public struct MetricFamily: Sendable, Hashable {
    public let name: String
    public let kind: MetricKind
    public let help: String
    public let labels: [String]
    public let buckets: [Double]

    public init(_ name: String, _ kind: MetricKind, _ help: String, labels: [String] = [], buckets: [Double] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.buckets = kind == .histogram ? buckets.sorted() : []
    }
}

/// The process's metrics, rendered in the Prometheus text format on `/metrics`.
///
/// Small and hand-written on purpose: families are declared up front with their help and
/// labels, every series the gateway knows at start-up is created then (so that alerts and
/// `rate()` see a 0 instead of nothing), and a mistake in a name or a label never stops the
/// process (an unknown label is dropped, a missing one is empty). Other services register
/// their own families with ``describe(_:)`` and their series with ``touch(_:_:)`` when they
/// start, then update them with ``add(_:_:_:)``, ``set(_:_:_:)`` and ``observe(_:_:_:)``.
/// Metric values are floating point by the format's definition; they describe the gateway and
/// are never read back into a decision or an amount.
public final class MetricsRegistry: Sendable {
    struct Series: Sendable {
        var value: Double = 0
        /// Histograms: the count in each bucket (not cumulative), and the sum.
        var bucketCounts: [UInt64] = []
        var count: UInt64 = 0
    }

    struct State: Sendable {
        var families: [String: MetricFamily] = [:]
        var series: [String: [[String]: Series]] = [:]
    }

    private let state = Mutex(State())

    public init(families: [MetricFamily] = []) {
        for family in families { describe(family) }
    }

    /// Declares a family. A family declared again keeps its first declaration.
    public func describe(_ family: MetricFamily) {
        state.withLock { state in
            guard state.families[family.name] == nil else { return }
            state.families[family.name] = family
            state.series[family.name] = [:]
        }
    }

    /// The declared family called `name`.
    public func family(_ name: String) -> MetricFamily? {
        state.withLock { $0.families[name] }
    }

    /// Creates the series with these labels if it does not exist yet (at 0).
    public func touch(_ name: String, _ labels: [String: String] = [:]) {
        update(name, labels) { _, _ in }
    }

    /// Adds `amount` to a counter (negative amounts are ignored: counters only go up).
    public func add(_ name: String, _ labels: [String: String] = [:], _ amount: Double = 1) {
        guard amount >= 0 else { return }
        update(name, labels) { series, _ in series.value += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ labels: [String: String] = [:], _ value: Double) {
        update(name, labels) { series, _ in series.value = value }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, _ labels: [String: String] = [:], _ value: Double) {
        update(name, labels) { series, family in
            guard value.isFinite else { return }
            if let index = family.buckets.firstIndex(where: { value <= $0 }) { series.bucketCounts[index] &+= 1 }
            series.count &+= 1
            series.value += value
        }
    }

    /// The current value of a counter or gauge series (a histogram's sum), nil if it does not exist.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        state.withLock { state in
            guard let family = state.families[name] else { return nil }
            return state.series[name]?[Self.key(family, labels)]?.value
        }
    }

    /// Every series: its family name and its labels, for tests and checks.
    public func allSeries() -> [(name: String, labels: [String: String])] {
        state.withLock { state in
            state.families.values.sorted { $0.name < $1.name }.flatMap { family in
                let name = family.name
                return (state.series[name] ?? [:]).keys.sorted { $0.lexicographicallyPrecedes($1) }.map { values in
                    (name, Dictionary(uniqueKeysWithValues: zip(family.labels, values)))
                }
            }
        }
    }

    private func update(_ name: String, _ labels: [String: String], _ body: (inout Series, MetricFamily) -> Void) {
        state.withLock { state in
            guard let family = state.families[name] else { return }
            let key = Self.key(family, labels)
            var series = state.series[name]?[key] ?? Series(bucketCounts: Array(repeating: 0, count: family.buckets.count))
            body(&series, family)
            state.series[name, default: [:]][key] = series
        }
    }

    /// The label values in the family's order; labels it does not declare are dropped.
    static func key(_ family: MetricFamily, _ labels: [String: String]) -> [String] {
        family.labels.map { labels[$0] ?? "" }
    }

    // MARK: Text format

    /// The Prometheus text exposition format (version 0.0.4), families sorted by name.
    public func render() -> String {
        let (families, series) = state.withLock { ($0.families, $0.series) }
        var out = ""
        for family in families.values.sorted(by: { $0.name < $1.name }) {
            let name = family.name
            out += "# HELP \(name) \(Self.escape(family.help, quotes: false))\n# TYPE \(name) \(family.kind.rawValue)\n"
            let entries = series[name] ?? [:]
            for (values, entry) in entries.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let labels = zip(family.labels, values).map { ($0, $1) }
                switch family.kind {
                case .counter, .gauge:
                    out += "\(name)\(Self.labelText(labels)) \(Self.number(entry.value))\n"
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (index, bound) in family.buckets.enumerated() {
                        if index < entry.bucketCounts.count { cumulative &+= entry.bucketCounts[index] }
                        out += "\(name)_bucket\(Self.labelText(labels + [("le", Self.number(bound))])) \(cumulative)\n"
                    }
                    out += "\(name)_bucket\(Self.labelText(labels + [("le", "+Inf")])) \(entry.count)\n"
                    out += "\(name)_sum\(Self.labelText(labels)) \(Self.number(entry.value))\n"
                    out += "\(name)_count\(Self.labelText(labels)) \(entry.count)\n"
                }
            }
        }
        return out
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1, quotes: true))\"" }.joined(separator: ",") + "}"
    }

    /// Integers print without a fraction; others in Swift's shortest exact form.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The exposition format's escapes: backslash and newline everywhere, the double quote in
    /// label values too (HELP text keeps its quotes).
    static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
