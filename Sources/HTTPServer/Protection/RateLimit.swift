/// A per-client request budget: `requests` per `seconds`, with bursts of up to `burst` requests.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public let requests: Int
    public let seconds: Double
    public let burst: Int

    /// The longest window: a day. A longer one is almost surely a typo (seconds meant as minutes), and a budget
    /// that refills over days would keep a client locked out long after the operator forgot the limit.
    public static let maximumWindowSeconds: Double = 86_400

    /// Nil unless `requests` ≥ 1, `seconds` > 0 and `burst` ≥ 1 (a missing burst equals `requests`).
    public init?(requests: Int, seconds: Double, burst: Int? = nil) {
        guard requests >= 1, seconds > 0, seconds <= Self.maximumWindowSeconds, (burst ?? requests) >= 1 else {
            return nil
        }
        self.requests = requests
        self.seconds = seconds
        self.burst = burst ?? requests
    }

    /// Parses `N/SECONDS` (`10/1`, `100/60`), `N/s`, `N/m`, `N/h`.
    public init?(parsing text: String, burst: Int? = nil) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let count = Int(parts[0]) else { return nil }
        let window: Double?
        switch parts[1].lowercased() {
        case "s", "sec", "second": window = 1
        case "m", "min", "minute": window = 60
        case "h", "hour": window = 3600
        default: window = Double(parts[1])
        }
        guard let window else { return nil }
        self.init(requests: count, seconds: window, burst: burst)
    }

    /// Tokens added per second.
    var refillPerSecond: Double { Double(requests) / seconds }

    public var description: String {
        let window = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        return "\(requests)/\(window)s burst \(burst)"
    }
}
