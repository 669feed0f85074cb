import EthereumCore
import Testing

@Suite struct UInt256Tests {
    static let maxDecimal = "115792089237316195423570985008687907853269984665640564039457584007913129639935"

    @Test func decimalRoundTripAtTheEdges() throws {
        for text in [
            "0", "1", "18446744073709551615", "18446744073709551616", "10000000000000000000", "340282366920938463463374607431768211456",
            Self.maxDecimal,
        ] {
            #expect(try UInt256(decimal: text).decimalString == text)
        }
        #expect(try UInt256(decimal: Self.maxDecimal) == .max)
    }

    @Test func rejectsWhatIsNotAnUnsignedInteger() {
        #expect(throws: UInt256Error.overflow) {
            try UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936")
        }
        #expect(throws: UInt256Error.empty) { try UInt256(decimal: "") }
        for bad in ["-1", "+1", "1e18", "1.0", " 1", "0x10", "١"] {
            #expect(throws: UInt256Error.invalidDigit(bad)) { try UInt256(decimal: bad) }
        }
        #expect(throws: UInt256Error.overflow) { try UInt256(hex: "0x1" + String(repeating: "0", count: 64)) }
        #expect(throws: UInt256Error.overflow) { try UInt256(bigEndian: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func hexForms() throws {
        #expect(try UInt256(hex: "0x0").hexQuantity == "0x0")
        #expect(try UInt256(hex: "0x000a").hexQuantity == "0xa")
        #expect(try UInt256(parsing: "0x10") == 16)
        #expect(try UInt256(parsing: "16") == 16)
        #expect(UInt256.max.hexQuantity == "0x" + String(repeating: "f", count: 64))
        #expect(UInt256(256).minimalBytes == [1, 0])
        #expect(UInt256.zero.minimalBytes == [])
    }

    @Test func arithmeticReportsOverflow() throws {
        #expect(UInt256.max.addingReportingOverflow(1).overflow)
        #expect(UInt256.zero.subtractingReportingOverflow(1).overflow)
        let big = try UInt256(hex: "0x1" + String(repeating: "0", count: 32))
        #expect(big.multipliedReportingOverflow(by: big).overflow)
        let product = try UInt256(decimal: "18446744073709551615").multipliedReportingOverflow(by: UInt256(decimal: "18446744073709551615"))
        #expect(!product.overflow)
        #expect(product.partialValue.decimalString == "340282366920938463426481119284349108225")
    }

    @Test func division() throws {
        let a = try UInt256(decimal: "340282366920938463463374607431768211457")
        let b = try UInt256(decimal: "18446744073709551617")
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        #expect(q * b + r == a)
        #expect(r < b)
        #expect(q.decimalString == "18446744073709551615")
        #expect(r.decimalString == "2")
        #expect(UInt256.powerOfTen(77).decimalString == "1" + String(repeating: "0", count: 77))
    }
}
