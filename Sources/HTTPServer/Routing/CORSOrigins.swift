import Synchronization

/// The origins CORS answers, changed while the server runs (`--cors`, the shell's `cors`). A `CORSMiddleware`
/// made with `init(origins:)` reads it on every request; while it is off that costs one atomic load.
public final class CORSOrigins: Sendable {
    private let value: Lock<CORSMiddleware.AllowedOrigins?>
    private let enabled: Atomic<Bool>

    /// Starts with `origins`; nil is off.
    public init(_ origins: CORSMiddleware.AllowedOrigins?) {
        value = Lock(origins)
        enabled = Atomic(origins != nil)
    }

    /// True while CORS is on (one atomic load).
    var isOn: Bool { enabled.load(ordering: .acquiring) }

    /// The origins allowed now, or nil when CORS is off.
    public var current: CORSMiddleware.AllowedOrigins? {
        get {
            guard isOn else { return nil }
            return value.withLock { $0 }
        }
        set {
            value.withLock { origins in
                origins = newValue
                enabled.store(newValue != nil, ordering: .releasing)
            }
        }
    }
}

extension CORSMiddleware.AllowedOrigins: CustomStringConvertible {
    /// Parses the operator's spelling: `*` for any origin, or origins separated by commas
    /// (`https://app.example,http://localhost:3000`). Nil when an origin is not `http(s)://host[:port]`, which is
    /// all a browser ever sends in `Origin`: a path or a trailing slash would never match, so it is refused.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: " \t")
        if trimmed == "*" {
            self = .any
            return
        }
        let origins = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \t") }
        guard !origins.isEmpty, origins.allSatisfy(Self.isOrigin) else { return nil }
        self = .list(origins)
    }

    /// `*`, or the origins joined by commas: what `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .any: "*"
        case .list(let origins): origins.joined(separator: ",")
        }
    }

    /// `scheme://host[:port]` with an http or https scheme, a host of letters, digits, `.`, `-` or a bracketed
    /// IPv6 address, and a numeric port.
    private static func isOrigin(_ text: String) -> Bool {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("http://") {
            rest = lowered.dropFirst(7)
        } else if lowered.hasPrefix("https://") {
            rest = lowered.dropFirst(8)
        } else {
            return false
        }
        var host = rest
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            let address = rest[rest.index(after: rest.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            host = rest[rest.index(after: close)...]
            guard host.isEmpty || host.hasPrefix(":") else { return false }
            host = "x" + host  // checked below as a plain name with the port
        }
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.first, !name.isEmpty,
              name.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "." || $0 == "-" })
        else { return false }
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return false }
        }
        return true
    }
}
