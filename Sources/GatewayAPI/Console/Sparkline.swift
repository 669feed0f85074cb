import EthereumCore
import GatewayDomain
import GatewayStore

/// A small chart of one balance over a time window, drawn on the server as inline SVG (the
/// console carries no script): a polyline of the samples, a dashed line at the threshold when
/// one is set and lies between the lowest and highest sample, and a title with both extremes
/// as decimal text.
///
/// The amounts are base units of any size up to 2^256 − 1 and never pass through floating
/// point: each one's pixel row comes from integer arithmetic on the amounts scaled down to 32
/// bits (``row(_:low:high:rows:)``), which keeps a pixel's precision at every magnitude.
/// Times are Unix seconds. The time axis runs from the first sample to the last one, cut to the
/// window given (a sample outside it is drawn at its edge), so that a wallet with a day of
/// history fills the chart like one with a week; a single sample is a dot at the right end.
struct Sparkline: Sendable, Hashable {
    /// The chart's size in CSS pixels, and the margin kept free on every side so that the
    /// stroke is not cut at the edges.
    static let width = 120
    static let height = 28
    static let margin = 2

    /// A point of the chart, in pixels from the top left corner.
    struct Point: Sendable, Hashable {
        let x: Int
        let y: Int
    }

    /// The samples in time order (a stable sort of those given).
    let samples: [BalanceSample]
    /// The time axis's first and last second: the samples' first and last, within the window.
    let start: Int64
    let end: Int64
    /// Base units; nil or zero draws no threshold line.
    let threshold: UInt256?
    /// The token's decimals, for the title (clamped to what ``TokenAmount`` accepts).
    let decimals: Int
    /// `native` or the token's symbol, for the title.
    let token: String

    init(samples: [BalanceSample], start: Int64, end: Int64, threshold: UInt256?, decimals: Int, token: String) {
        self.samples = samples.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let from = max(start, self.samples.first?.time ?? start)
        self.start = from
        self.end = max(from, min(end, self.samples.last?.time ?? end))
        self.threshold = threshold
        self.decimals = min(max(decimals, 0), TokenAmount.maxDecimals)
        self.token = token
    }

    /// The lowest and highest amount, nil without samples.
    var range: (low: UInt256, high: UInt256)? {
        guard var low = samples.first?.amount else { return nil }
        var high = low
        for sample in samples {
            if sample.amount < low { low = sample.amount }
            if high < sample.amount { high = sample.amount }
        }
        return (low, high)
    }

    /// The samples' points, left to right, a point equal to the one before it left out (most
    /// of a week's samples of an idle wallet share a few pixels).
    var points: [Point] {
        guard let range else { return [] }
        var out: [Point] = []
        for sample in samples {
            let point = Point(x: x(sample.time), y: y(sample.amount, range))
            if out.last != point { out.append(point) }
        }
        return out
    }

    /// The threshold's row, when a threshold is set and lies within the samples' range.
    var thresholdRow: Int? {
        guard let threshold, !threshold.isZero, let range, !(threshold < range.low), !(range.high < threshold) else { return nil }
        return y(threshold, range)
    }

    /// The chart, or a short text when there is no sample yet.
    var svg: HTML {
        guard let range else { return "<span class=\"spark empty\">no history yet</span>" }
        let low = AmountText.format(range.low, scale: decimals)
        let high = AmountText.format(range.high, scale: decimals)
        let title = "\(token): min \(low), max \(high)"
        let last = Self.width - Self.margin
        let line: HTML =
            thresholdRow.map { row in
                """
                <line class="threshold" x1="\(Self.margin)" y1="\(row)" x2="\(last)" y2="\(row)" stroke="#a3121f" stroke-width="1" \
                stroke-dasharray="3 2"/>
                """
            } ?? ""
        let points = points
        let mark: HTML =
            points.count == 1
            ? "<circle cx=\"\(points[0].x)\" cy=\"\(points[0].y)\" r=\"2\" fill=\"#2856d8\"/>"
            : """
            <polyline points="\(points.map { "\($0.x),\($0.y)" }.joined(separator: " "))" fill="none" stroke="#2856d8" \
            stroke-width="1.5" stroke-linejoin="round"/>
            """
        return """
            <svg class="spark" xmlns="http://www.w3.org/2000/svg" width="\(Self.width)" height="\(Self.height)" \
            viewBox="0 0 \(Self.width) \(Self.height)" role="img"><title>\(title)</title>\(line)\(mark)</svg>
            """
    }

    /// The column of `time`: the window's first second at the left margin, its last at the
    /// right one. Computed on the distance from the start as `UInt64` (any two `Int64` apart
    /// fit), with a full-width product so that nothing overflows.
    func x(_ time: Int64) -> Int {
        let columns = UInt64(Self.width - 2 * Self.margin)
        let clamped = min(max(time, start), end)
        let span = UInt64(bitPattern: end &- start)
        guard span > 0 else { return Self.width - Self.margin }
        let offset = UInt64(bitPattern: clamped &- start)
        let (column, _) = span.dividingFullWidth(offset.multipliedFullWidth(by: columns))
        return Self.margin + Int(column)
    }

    func y(_ amount: UInt256, _ range: (low: UInt256, high: UInt256)) -> Int {
        let rows = UInt64(Self.height - 2 * Self.margin)
        return Self.margin + Int(Self.row(amount, low: range.low, high: range.high, rows: rows))
    }

    /// The row of `amount` counted from the top, between 0 (at `high`) and `rows` (at `low`);
    /// the middle row when `high` equals `low`; an amount outside the range is clamped into it.
    /// The distances are shifted right until the range fits in 32 bits, so that the product by
    /// `rows` (at most 2^32) fits in 64.
    static func row(_ amount: UInt256, low: UInt256, high: UInt256, rows: UInt64) -> UInt64 {
        let rows = min(rows, UInt64(UInt32.max))
        guard low < high else { return rows / 2 }
        let value = amount < low ? low : (high < amount ? high : amount)
        let span = high - low
        let shift = max(0, span.bitLength - 32)
        let scaledSpan = shiftedRight(span, by: shift)
        let scaledDrop = shiftedRight(high - value, by: shift)
        return scaledDrop * rows / scaledSpan
    }

    /// The 64 bits of `value` from bit `shift` up (higher bits dropped).
    static func shiftedRight(_ value: UInt256, by shift: Int) -> UInt64 {
        let limbs = [value.limbs.0, value.limbs.1, value.limbs.2, value.limbs.3]
        let index = shift / 64
        let bits = shift % 64
        guard shift >= 0, index < limbs.count else { return 0 }
        var out = limbs[index] >> UInt64(bits)
        if bits > 0, index + 1 < limbs.count { out |= limbs[index + 1] << UInt64(64 - bits) }
        return out
    }
}
