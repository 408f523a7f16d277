import Glibc

/// An IPv4 or IPv6 socket address, parsed from text or taken from `accept`.
///
/// Kept as an address and a port, not as a 128-byte `sockaddr_storage`: every accepted connection holds one, and
/// copying the storage cost four `memcpy` calls per connection. `withSockAddr` builds the C form when a system call
/// needs it.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as the socket names it: an IPv4-mapped IPv6 address stays IPv6 here (`ip` unmaps it).
    private let address: IPAddress
    /// The port in host byte order.
    public let port: UInt16

    /// Parses a numeric host (`127.0.0.1`, `::`, `::1`, `0.0.0.0`) and a port.
    /// `localhost` is accepted as `127.0.0.1`. Returns nil for anything else.
    public init?(host: String, port: UInt16) {
        guard let address = IPAddress(literal: host == "localhost" ? "127.0.0.1" : host) else { return nil }
        self.address = address
        self.port = port
    }

    /// What `accept` or `getsockname` wrote into room for an IPv6 address (an IPv4 one fits at its start).
    init(_ written: sockaddr_in6) {
        if Int32(written.sin6_family) == AF_INET {
            let v4 = withUnsafeBytes(of: written) { $0.load(as: sockaddr_in.self) }
            address = IPAddress(v4.sin_addr)
            port = UInt16(bigEndian: v4.sin_port)
        } else {
            address = IPAddress(written.sin6_addr)
            port = UInt16(bigEndian: written.sin6_port)
        }
    }

    /// `AF_INET` or `AF_INET6`.
    public var family: Int32 { address.isIPv4 ? AF_INET : AF_INET6 }

    /// The address as an `IPAddress`; IPv4-mapped IPv6 addresses come back as IPv4.
    public var ip: IPAddress { address.unmappedFromIPv6 }

    /// `127.0.0.1:8080` or `[::1]:8080`.
    public var description: String {
        family == AF_INET6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Calls `body` with the C form of this address and its length, as `bind` and `connect` take them.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        if address.isIPv4 {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            v4.sin_addr = address.inAddr
            return withUnsafePointer(to: &v4) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        v6.sin6_addr = address.in6Addr
        return withUnsafePointer(to: &v6) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.ip == rhs.ip && lhs.port == rhs.port
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ip)
        hasher.combine(port)
    }
}
