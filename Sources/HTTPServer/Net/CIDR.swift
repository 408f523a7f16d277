/// An address range such as `203.0.113.0/24` or `2001:db8::/32`; a bare address is a range of one.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/BITS`; host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4-mapped
    /// range of at least 96 bits (`::ffff:192.0.2.0/120`) is the IPv4 range it maps (`192.0.2.0/24`), since peers
    /// and forwarded addresses are unmapped too.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let written = IPAddress(literal: String(parts[0])) else { return nil }
        let maximum = written.bitCount
        var length = maximum
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits) else { return nil }
            length = bits
        }
        if written.isIPv4Mapped, length >= 96 {
            self.init(written.unmappedFromIPv6, prefixLength: length - 96)
        } else {
            self.init(written, prefixLength: length)
        }
    }

    /// The range of `prefixLength` bits around `address` (which must fit: at most 32 or 128).
    public init(_ address: IPAddress, prefixLength: Int) {
        network = address.masked(to: prefixLength)
        self.prefixLength = min(max(prefixLength, 0), address.bitCount)
    }

    /// True when `address` lies inside the range (IPv4 ranges match only IPv4 addresses, and so on).
    public func contains(_ address: IPAddress) -> Bool {
        address.isIPv4 == network.isIPv4 && address.masked(to: prefixLength) == network
    }

    /// `203.0.113.0/24`, or the bare address for a single host.
    public var description: String {
        prefixLength == network.bitCount ? "\(network)" : "\(network)/\(prefixLength)"
    }
}
