import GatewayAPI
import Testing

/// The bound on requests in progress: `+` enters (the expected answer after it), `-` leaves.
struct AdmissionGateTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let limit: Int
        let steps: String
        let admitted: [Bool]
        let current: Int
        let refused: Int
        var testDescription: String { "limit \(limit): \(steps)" }
    }

    static let cases: [Case] = [
        Case(limit: 2, steps: "+++", admitted: [true, true, false], current: 2, refused: 1),
        Case(limit: 2, steps: "+++-+", admitted: [true, true, false, true], current: 2, refused: 1),
        Case(limit: 1, steps: "+-+-+", admitted: [true, true, true], current: 1, refused: 0),
        Case(limit: 1, steps: "++++", admitted: [true, false, false, false], current: 1, refused: 3),
        Case(limit: 0, steps: "+++++", admitted: [true, true, true, true, true], current: 5, refused: 0),
        Case(limit: -3, steps: "++", admitted: [true, true], current: 2, refused: 0),
    ]

    @Test(arguments: cases)
    func gate(_ entry: Case) {
        let gate = AdmissionGate(limit: entry.limit)
        var admitted: [Bool] = []
        for step in entry.steps {
            if step == "+" { admitted.append(gate.enter()) } else { gate.leave() }
        }
        #expect(admitted == entry.admitted)
        #expect(gate.current == entry.current)
        #expect(gate.refusedCount == entry.refused)
    }
}
