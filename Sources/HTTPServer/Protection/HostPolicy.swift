/// Which `Host` names the server answers for (DNS-rebinding protection). A request for another host gets 421.
///
/// By default: the bind address, `localhost`, `127.0.0.1` and `[::1]`; bound to every interface (`0.0.0.0`,
/// `::`), any name, since the server cannot know the names it is reached by.
public struct HostPolicy: Sendable {
    /// Lower-cased host names without ports; nil allows any.
    let allowed: Set<String>?
    /// The allowed names that are ASCII, when there are few, back to back in one buffer, each after a byte
    /// holding its length: every request is checked, and comparing its host's bytes with a handful of names in
    /// one buffer costs less than building and hashing a `String` (or walking an array of arrays).
    private let asciiNames: [UInt8]
    /// True when `asciiNames` is every allowed name, so a host not among them is refused without the `String`
    /// lookup (which a name with non-ASCII letters needs: Unicode lowercasing and canonical equivalence).
    private let asciiNamesAreAll: Bool
    /// Up to this many names are compared one by one; past it, hashing once is cheaper.
    private static let maxCompared = 16

    /// `names` from `--allowed-hosts` (`*` allows any); nil for the default derived from `bindHost`.
    public init(names: [String]?, bindHost: String) {
        let allowed: Set<String>?
        if let names {
            allowed = names.contains("*") ? nil : Set(names.map { Self.normalise($0) })
        } else if ["0.0.0.0", "::", "[::]"].contains(bindHost) {
            allowed = nil
        } else {
            let bind = bindHost.contains(":") && !bindHost.hasPrefix("[") ? "[\(bindHost)]" : bindHost
            allowed = [Self.normalise(bind), "localhost", "127.0.0.1", "[::1]"]
        }
        self.allowed = allowed
        let names = allowed ?? []
        // A name longer than its length byte can say (no DNS name is) is left to the `String` lookup.
        let ascii = names.count <= Self.maxCompared
            ? names.filter { $0.utf8.count <= Int(UInt8.max) && $0.utf8.allSatisfy { $0 < 0x80 } } : []
        asciiNames = ascii.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        asciiNamesAreAll = ascii.count == names.count
    }

    /// True when the request names an allowed host (or none: HTTP/1.0 may omit `Host`).
    /// For an absolute-form target the target's authority counts, not `Host` (RFC 9112 §3.2.2).
    public func allows(_ head: RequestHead) -> Bool {
        var remembered = RememberedHost()
        return allows(head, remembering: &remembered)
    }

    /// `allows`, answered at once when the `Host` value has the bytes of the one found allowed last, and
    /// remembering the bytes of a value it finds allowed: each worker keeps one (`LiveLimits`), as one client's
    /// requests, and most clients', name the same host.
    func allows(_ head: RequestHead, remembering remembered: inout RememberedHost) -> Bool {
        guard let allowed else { return true }
        // The usual origin form (`/path`) is told apart by its first byte, before any search for a scheme. Its
        // `Host` is matched on the received bytes: a `String` only for a name the bytes cannot settle.
        if head.target.withBorrowedUTF8({ $0.first }) == .slash {
            let match = head.headers.withValue(.host) { value -> Bool?? in
                guard let value else { return nil }
                if remembered.holds(value) { return true }
                let found = asciiMatch(value)
                if found == true { remembered.keep(value) }
                return found
            }
            guard let match else { return true }
            if let found = match, found || asciiNamesAreAll { return found }
            return allowed.contains(Self.normalise(head.headers[.host] ?? ""))
        }
        guard var authority = Self.authority(ofAbsoluteTarget: head.target) ?? head.headers[.host] else { return true }
        let found = authority.withUTF8 { asciiMatch(UnsafeRawBufferPointer($0)) }
        if let found, found || asciiNamesAreAll { return found }
        return allowed.contains(Self.normalise(authority))
    }

    /// Whether `authority`'s host is one of `asciiNames`; nil when the host is not ASCII (left to `normalise`).
    private func asciiMatch(_ authority: UnsafeRawBufferPointer) -> Bool? {
        let host = UnsafeRawBufferPointer(rebasing: authority[Self.hostRange(authority)])
        // The names are lower-case, as a client usually sends them: first the same bytes, then (for a host with
        // capitals) a case-insensitive compare, which is `normalise`'s lowercasing.
        if eachASCIIName(where: { $0.hasSameBytes(as: host) }) { return true }
        guard host.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard host.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return false }
        return eachASCIIName(where: { asciiCaseInsensitiveEqual($0, host) })
    }

    /// True when `matches` is true of one of `asciiNames`.
    private func eachASCIIName(where matches: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        asciiNames.withUnsafeBytes { table in
            var index = 0
            while index < table.count {
                let start = index + 1
                index = start + Int(table[index])
                if matches(UnsafeRawBufferPointer(rebasing: table[start..<index])) { return true }
            }
            return false
        }
    }

    /// `Example.COM:8080` → `example.com`, `[::1]:80` → `[::1]`.
    static func normalise(_ authority: String) -> String {
        // On UTF-8 bytes; only a name with capitals is lowercased.
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

    /// Where the host is in an authority, as `normalise` cuts it: without the port, and without a trailing dot
    /// (`example.com.`). For an ASCII host, the bytes of `normalise`'s result before lowercasing.
    private static func hostRange(_ authority: UnsafeRawBufferPointer) -> Range<Int> {
        var end = authority.count
        if authority.first == UInt8(ascii: "["), let close = authority.firstIndex(of: UInt8(ascii: "]"), from: 0) {
            end = close + 1
        } else {
            var index = authority.count
            while index > 0 {
                index -= 1
                if authority[index] == .colon {
                    end = index
                    break
                }
            }
        }
        if end > 0, authority[end - 1] == .dot { end -= 1 }
        return 0..<end
    }

    private static func authority(ofAbsoluteTarget target: String) -> String? {
        guard let rest = RequestHead.afterScheme(ofAbsoluteTarget: Substring(target)) else { return nil }
        return String(rest.prefix { $0 != "/" && $0 != "?" })
    }
}

/// The bytes of the `Host` value a thread last found allowed (by one policy): the same bytes get the same answer.
struct RememberedHost {
    /// Empty for none: an empty `Host` is never allowed by name.
    private var bytes: [UInt8] = []

    /// True when `value` has the remembered bytes.
    func holds(_ value: UnsafeRawBufferPointer) -> Bool {
        !bytes.isEmpty && bytes.withUnsafeBytes { $0.hasSameBytes(as: value) }
    }

    /// Remembers `value`, in the storage of the value before (no allocation per change of host).
    mutating func keep(_ value: UnsafeRawBufferPointer) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: value)
    }
}
