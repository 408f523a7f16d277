/// Which `Host` names the server answers for (DNS-rebinding protection). A request for another host gets 421.
///
/// By default: the bind address, `localhost`, `127.0.0.1` and `[::1]`; bound to every interface (`0.0.0.0`,
/// `::`), any name, since the server cannot know the names it is reached by.
public struct HostPolicy: Sendable {
    /// Lower-cased host names without ports; nil allows any.
    let allowed: Set<String>?

    /// `names` from `--allowed-hosts` (`*` allows any); nil for the default derived from `bindHost`.
    public init(names: [String]?, bindHost: String) {
        if let names {
            allowed = names.contains("*") ? nil : Set(names.map { Self.normalise($0) })
        } else if ["0.0.0.0", "::", "[::]"].contains(bindHost) {
            allowed = nil
        } else {
            let bind = bindHost.contains(":") && !bindHost.hasPrefix("[") ? "[\(bindHost)]" : bindHost
            allowed = [Self.normalise(bind), "localhost", "127.0.0.1", "[::1]"]
        }
    }

    /// True when the request names an allowed host (or none: HTTP/1.0 may omit `Host`).
    /// For an absolute-form target the target's authority counts, not `Host` (RFC 9112 §3.2.2).
    public func allows(_ head: RequestHead) -> Bool {
        guard let allowed else { return true }
        let authority = Self.authority(ofAbsoluteTarget: head.target) ?? head.headers["Host"]
        guard let authority else { return true }
        return allowed.contains(Self.normalise(authority))
    }

    /// `Example.COM:8080` → `example.com`, `[::1]:80` → `[::1]`.
    static func normalise(_ authority: String) -> String {
        // On UTF-8 bytes (every request comes through here); only a name with capitals is lowercased.
        var host = Substring(authority)
        if host.utf8.first == UInt8(ascii: "["), let close = host.utf8.firstIndex(of: UInt8(ascii: "]")) {
            host = host[...close]
        } else if let colon = host.utf8.lastIndex(of: .colon) {
            host = host[..<colon]
        }
        if host.utf8.last == .dot { host = host.dropLast() }
        let needsLowering = host.utf8.contains { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || $0 >= 0x80 }
        return needsLowering ? host.lowercased() : String(host)
    }

    private static func authority(ofAbsoluteTarget target: String) -> String? {
        // The usual origin form (`/path`) is told apart by its first byte, before any search for a scheme.
        guard let rest = RequestHead.afterScheme(ofAbsoluteTarget: Substring(target)) else { return nil }
        return String(rest.prefix { $0 != "/" && $0 != "?" })
    }
}
