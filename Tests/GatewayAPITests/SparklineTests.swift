import EthereumCore
import GatewayStore
import Testing

@testable import GatewayAPI

/// The balance chart: exact points for small inputs (120×28 pixels, a 2-pixel margin, so
/// columns 2…118 and rows 2…26), the empty, single and flat cases, and amounts up to 2^256 − 1.
struct SparklineTests {
    static func chart(
        _ samples: [(Int64, UInt256)], start: Int64 = 0, end: Int64 = 100, threshold: UInt256? = nil, decimals: Int = 0,
        token: String = "USDC"
    ) -> Sparkline {
        Sparkline(
            samples: samples.map { BalanceSample(time: $0.0, amount: $0.1) }, start: start, end: end, threshold: threshold,
            decimals: decimals, token: token)
    }

    static let half = UInt256(limbs: (.max, .max, .max, .max >> 1))

    @Test(
        arguments: [
            // Rising then halfway back: the highest amount on the top row, the lowest on the bottom one.
            ([(0, 0), (50, 100), (100, 50)], "2,26 60,2 118,14"),
            // Given out of order, some outside the window: sorted by time, clamped to its edges.
            ([(150, 10), (-5, 30), (25, 20)], "2,2 31,14 118,26"),
            // All equal: a flat line in the middle.
            ([(0, 7), (50, 7), (100, 7)], "2,14 60,14 118,14"),
            // A point equal to the one before it is left out.
            ([(0, 5), (0, 5), (100, 9)], "2,26 118,2"),
            ([(0, 5), (1, 5), (2, 5), (1_000, 5)], "2,14 3,14 4,14 118,14"),
            ([(0, 5), (1, 5), (2, 5)], "2,14 60,14 118,14"),
            // The axis runs from the first sample to the last, within the window.
            ([(40, 1), (60, 3)], "2,26 118,2"),
            ([(-50, 1), (50, 3)], "2,26 118,2"),
            ([(60, 1), (80, 3), (90_000, 2)], "2,26 60,2 118,14"),
            // The whole uint256 range, and two neighbours at its top.
            ([(0, .max), (50, 0), (100, half)], "2,2 60,26 118,14"),
            ([(0, .max), (100, .max - 1)], "2,2 118,26"),
        ] as [([(Int64, UInt256)], String)])
    func points(samples: [(Int64, UInt256)], expected: String) {
        let points = Self.chart(samples).points.map { "\($0.x),\($0.y)" }.joined(separator: " ")
        #expect(points == expected)
    }

    @Test func aChartWithThresholdAndEscapedTitle() {
        let chart = Self.chart([(0, 0), (100, 100)], threshold: 25, decimals: 2, token: "<b>&")
        #expect(
            chart.svg.text
                == """
                <svg class="spark" xmlns="http://www.w3.org/2000/svg" width="120" height="28" viewBox="0 0 120 28" role="img">\
                <title>&lt;b&gt;&amp;: min 0.00, max 1.00</title>\
                <line class="threshold" x1="2" y1="20" x2="118" y2="20" stroke="#a3121f" stroke-width="1" stroke-dasharray="3 2"/>\
                <polyline points="2,26 118,2" fill="none" stroke="#2856d8" stroke-width="1.5" stroke-linejoin="round"/></svg>
                """)
    }

    @Test func noSampleIsATextAndOneSampleIsADot() {
        #expect(Self.chart([]).svg.text == "<span class=\"spark empty\">no history yet</span>")
        #expect(Self.chart([]).points.isEmpty)
        #expect(
            Self.chart([(50, 1_000)], decimals: 3).svg.text
                == """
                <svg class="spark" xmlns="http://www.w3.org/2000/svg" width="120" height="28" viewBox="0 0 120 28" role="img">\
                <title>USDC: min 1.00, max 1.00</title><circle cx="118" cy="14" r="2" fill="#2856d8"/></svg>
                """)
    }

    @Test func hugeAmountsAreTitledInFull() {
        let svg = Self.chart([(0, 0), (100, .max)]).svg.text
        #expect(svg.contains("<title>USDC: min 0, max \(UInt256.max.decimalString)</title>"))
        #expect(svg.contains("points=\"2,26 118,2\""))
        // Decimals past what a token may declare are clamped, not trapped on.
        #expect(Self.chart([(0, 1)], decimals: 500).svg.text.contains("min 0.0000"))
        #expect(Self.chart([(0, 1)], decimals: -3).svg.text.contains("<title>USDC: min 1, max 1</title>"))
    }

    @Test(
        arguments: [
            (25, 20), (0, nil), (100, 2), (1, 26), (101, nil), (nil, nil),
        ] as [(UInt256?, Int?)])
    func thresholdLine(threshold: UInt256?, row: Int?) {
        #expect(Self.chart([(0, 1), (100, 100)], threshold: threshold).thresholdRow == row)
    }

    @Test func aThresholdOnAFlatLineIsDrawnThroughIt() {
        #expect(Self.chart([(0, 7), (100, 7)], threshold: 7).thresholdRow == 14)
        #expect(Self.chart([(0, 7), (100, 7)], threshold: 8).thresholdRow == nil)
    }

    /// Without samples the axis is the window itself.
    @Test(
        arguments: [
            (0, 0, 100, 2), (100, 0, 100, 118), (-1, 0, 100, 2), (101, 0, 100, 118),
            (0, .min, .max, 60), (.max, .min, .max, 118), (.min, .min, .max, 2),
            // An empty or reversed window: everything at its right edge.
            (5, 10, 10, 118), (5, 10, 0, 118),
        ] as [(Int64, Int64, Int64, Int)])
    func column(time: Int64, start: Int64, end: Int64, x: Int) {
        #expect(Self.chart([], start: start, end: end).x(time) == x)
    }

    @Test(
        arguments: [
            (0, 0, 100, 24, 24), (100, 0, 100, 24, 0), (50, 0, 100, 24, 12), (7, 7, 7, 24, 12),
            (0, 1, 100, 24, 24), (200, 1, 100, 24, 0),
            (0, 0, .max, 24, 24), (.max, 0, .max, 24, 0), (half, 0, .max, 24, 12),
            (.max - 1, .max - 2, .max, 24, 12), (5, 0, 10, .max, 2_147_483_647),
        ] as [(UInt256, UInt256, UInt256, UInt64, UInt64)])
    func row(amount: UInt256, low: UInt256, high: UInt256, rows: UInt64, expected: UInt64) {
        #expect(Sparkline.row(amount, low: low, high: high, rows: rows) == expected)
    }
}
