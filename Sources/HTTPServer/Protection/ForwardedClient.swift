/// The real client behind trusted reverse proxies, from `X-Forwarded-For`.
///
/// Only a peer inside a trusted range may speak for another address; the client is the rightmost
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left could be forged by the client).
public struct ForwardedClient: Sendable {
    public let trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR]) {
        self.trustedProxies = trustedProxies
    }

    /// The address rate limits, blocks and logs apply to.
    public func client(peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        guard !trustedProxies.isEmpty, isTrusted(peer) else { return peer }
        let hops = headers.values("X-Forwarded-For").flatMap { $0.split(separator: ",") }
        for hop in hops.reversed() {
            guard let address = IPAddress(hop.trimmingCharacters(in: " \t")) else { return peer }
            if !isTrusted(address) { return address }
        }
        return peer
    }

    /// True when `address` is a trusted proxy (it speaks for many clients).
    func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}
