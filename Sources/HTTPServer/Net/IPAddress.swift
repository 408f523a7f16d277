import Glibc

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, comparable and hashable, for rate limiting, blocking and logs.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Wraps 4 or 16 network-order bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
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
            self.bytes = withUnsafeBytes(of: v4) { Array($0) }
        } else if inet_pton(AF_INET6, name, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: v6) { Array($0) }
        } else {
            return nil
        }
    }

    static let unspecified = IPAddress(bytes: [0, 0, 0, 0])!

    /// True for 4-byte addresses.
    public var isIPv4: Bool { bytes.count == 4 }

    /// True for `::ffff:a.b.c.d`.
    var isIPv4Mapped: Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
    }

    /// `::ffff:a.b.c.d` becomes `a.b.c.d`; anything else is unchanged.
    var unmappedFromIPv6: IPAddress {
        guard isIPv4Mapped else { return self }
        return IPAddress(bytes: Array(bytes[12..<16])) ?? self
    }

    /// The address with all but its first `prefixLength` bits cleared: the network it lies in.
    public func masked(to prefixLength: Int) -> IPAddress {
        let masked = bytes.enumerated().map { index, byte -> UInt8 in
            let bitsHere = min(max(prefixLength - index * 8, 0), 8)
            return bitsHere == 8 ? byte : byte & ~(UInt8(0xff) >> bitsHere)
        }
        return IPAddress(bytes: masked) ?? self
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
