/// An address range such as `203.0.113.0/24` or `2001:db8::/32`; a bare address is a range of one.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/BITS`; host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits) else { return nil }
            length = bits
        }
        let masked = address.bytes.enumerated().map { index, byte -> UInt8 in
            let bitsHere = min(max(length - index * 8, 0), 8)
            return bitsHere == 8 ? byte : byte & ~(UInt8(0xff) >> bitsHere)
        }
        guard let network = IPAddress(bytes: masked) else { return nil }
        self.network = network
        self.prefixLength = length
    }

    /// True when `address` lies inside the range (IPv4 ranges match only IPv4 addresses, and so on).
    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(0xff) << (8 - bits)
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// `203.0.113.0/24`, or the bare address for a single host.
    public var description: String {
        prefixLength == network.bytes.count * 8 ? "\(network)" : "\(network)/\(prefixLength)"
    }
}
