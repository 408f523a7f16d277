import Glibc

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, comparable and hashable, for rate limiting, blocking and logs.
///
/// The bytes are kept as two integers, not an array: every connection and request takes the peer's address,
/// and the registry, the blocklist and the per-client counts hash and compare it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The first and last 8 network-order bytes as big-endian integers; an IPv4 address is the low 32 bits of
    /// `low`, with `high` zero.
    private let high: UInt64
    private let low: UInt64
    /// True for 4-byte addresses.
    public let isIPv4: Bool

    private init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    /// Wraps 4 or 16 network-order bytes.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.init(bytes.withUnsafeBytes { in_addr(s_addr: $0.loadUnaligned(as: UInt32.self)) })
        case 16: self.init(bytes.withUnsafeBytes { $0.loadUnaligned(as: in6_addr.self) })
        default: return nil
        }
    }

    /// An IPv4 address as `accept` and `inet_pton` give it.
    init(_ address: in_addr) {
        self.init(high: 0, low: UInt64(UInt32(bigEndian: address.s_addr)), isIPv4: true)
    }

    /// An IPv6 address as `accept` and `inet_pton` give it (an IPv4-mapped one stays IPv6).
    init(_ address: in6_addr) {
        let halves = withUnsafeBytes(of: address) { raw in
            (UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        self.init(high: halves.0, low: halves.1, isIPv4: false)
    }

    /// The C form of an IPv4 address (the low 32 bits of an IPv6 one).
    var inAddr: in_addr {
        in_addr(s_addr: UInt32(truncatingIfNeeded: low).bigEndian)
    }

    /// The C form of an IPv6 address (an IPv4 one as IPv4-compatible, `::a.b.c.d`).
    var in6Addr: in6_addr {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return address
    }

    /// Parses `192.0.2.1` or `2001:db8::1` (brackets allowed). An IPv4-mapped address (`::ffff:192.0.2.1`) is
    /// the IPv4 address it maps, as peers are: otherwise `block ::ffff:192.0.2.1` would never match, and a
    /// forwarded `::ffff:192.0.2.1` would escape a block on `192.0.2.1`.
    public init?(_ text: String) {
        guard let written = IPAddress(literal: text) else { return nil }
        self = written.unmappedFromIPv6
    }

    /// Parses an address as written, an IPv4-mapped one staying IPv6 (a CIDR's prefix length counts its bits).
    init?(literal text: String) {
        let name = text.trimmingBrackets()
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            self.init(v4)
        } else if inet_pton(AF_INET6, name, &v6) == 1 {
            self.init(v6)
        } else {
            return nil
        }
    }

    static let unspecified = IPAddress(in_addr(s_addr: 0))

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        if isIPv4 { return withUnsafeBytes(of: UInt32(truncatingIfNeeded: low).bigEndian) { Array($0) } }
        return withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
    }

    /// The number of bits: 32 or 128.
    var bitCount: Int { isIPv4 ? 32 : 128 }

    /// True for `::ffff:a.b.c.d`.
    var isIPv4Mapped: Bool {
        !isIPv4 && high == 0 && low >> 32 == 0xffff
    }

    /// `::ffff:a.b.c.d` becomes `a.b.c.d`; anything else is unchanged.
    var unmappedFromIPv6: IPAddress {
        guard isIPv4Mapped else { return self }
        return IPAddress(high: 0, low: low & 0xffff_ffff, isIPv4: true)
    }

    /// The address with all but its first `prefixLength` bits cleared: the network it lies in.
    public func masked(to prefixLength: Int) -> IPAddress {
        let bits = min(max(prefixLength, 0), bitCount)
        if isIPv4 { return IPAddress(high: 0, low: low & Self.leadingOnes(bits, of: 32), isIPv4: true) }
        return IPAddress(high: high & Self.leadingOnes(min(bits, 64), of: 64),
                         low: low & Self.leadingOnes(max(bits - 64, 0), of: 64), isIPv4: false)
    }

    /// A mask of `count` one bits at the top of a `width`-bit integer (in a UInt64).
    private static func leadingOnes(_ count: Int, of width: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        let ones: UInt64 = count >= 64 ? .max : ~(UInt64.max >> count)
        return ones >> (64 - width)
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok: Bool
        if isIPv4 {
            var address = in_addr(s_addr: UInt32(truncatingIfNeeded: low).bigEndian)
            ok = inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil
        } else {
            var address = (high.bigEndian, low.bigEndian)
            ok = inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// `[::1]` → `::1`, for hosts written the way URLs write them.
    func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
