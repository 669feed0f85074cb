/// Which destination addresses webhooks may not reach: loopback, private, link-local (where
/// cloud metadata services live), unspecified, carrier-grade NAT, multicast and reserved
/// ranges, in IPv4 and IPv6 (IPv4-mapped addresses are judged as IPv4).
public enum TargetAddress {
    public static func isForbidden(ipv4 a: [UInt8]) -> Bool {
        guard a.count == 4 else { return true }
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true
        case (169, 254): return true
        case (172, 16...31): return true
        case (192, 168): return true
        case (192, 0) where a[2] == 0 || a[2] == 2: return true
        case (198, 18...19): return true
        case (198, 51) where a[2] == 100: return true
        case (203, 0) where a[2] == 113: return true
        default: return a[0] >= 224
        }
    }

    public static func isForbidden(ipv6 a: [UInt8]) -> Bool {
        guard a.count == 16 else { return true }
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return isForbidden(ipv4: Array(a[12..<16])) }
        if a[0..<15].allSatisfy({ $0 == 0 }) && (a[15] == 0 || a[15] == 1) { return true }
        if a[0] & 0xFE == 0xFC { return true }
        if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return true }
        if a[0] == 0xFF { return true }
        // 64:ff9b::/96 (NAT64) maps to IPv4.
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B { return isForbidden(ipv4: Array(a[12..<16])) }
        return false
    }
}
