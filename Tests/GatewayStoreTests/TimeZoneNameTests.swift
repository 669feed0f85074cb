import GatewayStore
import Testing

/// Which names a merchant's time zone may take: IANA names the server's database knows, never a
/// path out of it.
struct TimeZoneNameTests {
    @Test(arguments: [
        ("Europe/Paris", true), ("UTC", true), ("America/Argentina/Buenos_Aires", true), ("Etc/GMT+5", true),
        ("America/Port-au-Prince", true), ("Mars/Olympus_Mons", false), ("", false), ("../../etc/passwd", false),
        ("Europe/../Europe/Paris", false), ("Europe/Paris\u{0}", false), ("Europe/Paris ", false), ("europe/paris'--", false),
        ("Europe/Pärïs", false), (String(repeating: "A", count: 65), false),
    ])
    func name(_ name: String, accepted: Bool) {
        #expect(((try? ExportService.zone(name)) != nil) == accepted)
    }
}
