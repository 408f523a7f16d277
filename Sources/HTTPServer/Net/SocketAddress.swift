import Glibc

/// An IPv4 or IPv6 socket address, parsed from text or taken from `accept`.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The raw storage, large enough for either family.
    var storage: sockaddr_storage

    /// Parses a numeric host (`127.0.0.1`, `::`, `::1`, `0.0.0.0`) and a port.
    /// `localhost` is accepted as `127.0.0.1`. Returns nil for anything else.
    public init?(host: String, port: UInt16) {
        let name = host == "localhost" ? "127.0.0.1" : host.trimmingBrackets()
        var storage = sockaddr_storage()
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        } else if inet_pton(AF_INET6, name, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        } else {
            return nil
        }
        self.storage = storage
    }

    init(storage: sockaddr_storage) {
        self.storage = storage
    }

    /// `AF_INET` or `AF_INET6`.
    public var family: Int32 { Int32(storage.ss_family) }

    /// The byte length `bind` and `connect` expect.
    var length: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    /// The port in host byte order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET6
                ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// The address as an `IPAddress`; IPv4-mapped IPv6 addresses come back as IPv4.
    public var ip: IPAddress {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET6
                ? IPAddress(raw.load(as: sockaddr_in6.self).sin6_addr).unmappedFromIPv6
                : IPAddress(raw.load(as: sockaddr_in.self).sin_addr)
        }
    }

    /// `127.0.0.1:8080` or `[::1]:8080`.
    public var description: String {
        family == AF_INET6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
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

extension String {
    /// `[::1]` → `::1`, for hosts written the way URLs write them.
    func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
