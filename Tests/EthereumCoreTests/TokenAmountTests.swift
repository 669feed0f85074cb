import EthereumCore
import Testing

@Suite struct TokenAmountTests {
    @Test(arguments: [
        ("100", 6, "100000000"), ("100.00", 6, "100000000"), ("0.000001", 6, "1"), ("1.5", 6, "1500000"),
        ("0", 6, "0"), ("007.5", 6, "7500000"), ("1", 0, "1"), ("1.000000000000000001", 18, "1000000000000000001"),
    ])
    func parses(_ text: String, _ decimals: Int, _ baseUnits: String) throws {
        #expect(try TokenAmount(decimal: text, decimals: decimals).baseUnits.decimalString == baseUnits)
    }

    @Test func rejectsWithAClearReason() {
        #expect(throws: AmountError.negative("-1")) { try TokenAmount(decimal: "-1", decimals: 6) }
        #expect(throws: AmountError.tooManyDecimals("1.0000001", allowed: 6)) { try TokenAmount(decimal: "1.0000001", decimals: 6) }
        #expect(throws: AmountError.tooManyDecimals("0.5", allowed: 0)) { try TokenAmount(decimal: "0.5", decimals: 0) }
        #expect(throws: AmountError.empty) { try TokenAmount(decimal: "", decimals: 6) }
        for bad in ["1e6", "1E6", "+1", " 1", "1 ", "1,000", ".5", "5.", "1.2.3", "0x10", "NaN", "inf", "1_000"] {
            #expect(throws: AmountError.malformed(bad)) { try TokenAmount(decimal: bad, decimals: 6) }
        }
        let tooBig = "115792089237316195423570985008687907853269984665640564039457584007913129.639936"
        #expect(throws: AmountError.overflow(tooBig)) { try TokenAmount(decimal: tooBig, decimals: 6) }
        #expect(AmountError.tooManyDecimals("1.0000001", allowed: 6).description.contains("more than 6 decimal places"))
    }

    @Test func formatsExactly() {
        let amount = TokenAmount(baseUnits: 100_000_137, decimals: 6)
        #expect(amount.decimalString == "100.000137")
        #expect(TokenAmount(baseUnits: 100_000_000, decimals: 6).decimalString == "100")
        #expect(TokenAmount(baseUnits: 100_000_000, decimals: 6).format(minimumFractionDigits: 2) == "100.00")
        #expect(TokenAmount(baseUnits: 5, decimals: 6).decimalString == "0.000005")
        #expect(
            TokenAmount(baseUnits: .max, decimals: 18).decimalString
                == "115792089237316195423570985008687907853269984665640564039457.584007913129639935")
    }
}
