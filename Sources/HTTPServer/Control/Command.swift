/// Everything an operator (or a signal, a test, an embedding program) can ask of a running server.
/// Commands are values; `ServerControl` applies them one at a time, in order.
public enum Command: Sendable, Equatable {
    case status
    /// Requests by status class, bytes out, latency percentiles over the last minute and since start.
    case stats
    /// The busiest paths and clients over the last 10–20 seconds.
    case top(count: Int)
    case setWorkers(Int)
    case setRateLimit(RateLimit?)
    case setDirectoryListing(Bool)
    /// Whether precompressed siblings are served.
    case setPrecompressed(Bool)
    /// Which origins CORS answers; nil turns it off.
    case setCORS(CORSMiddleware.AllowedOrigins?)
    case setLogLevel(LogLevel)
    case counters(top: Int?, prefix: String?)
    case resetCounters
    /// The newest `limit` uploads (nil: all of them).
    case uploads(limit: Int?)
    case showUpload(name: String)
    /// Refuse `range` (403), for `seconds` when given, else until `unblock`.
    case block(CIDR, reason: String, seconds: Int? = nil)
    case unblock(CIDR)
    case blocked
    /// The newest `limit` security events, of clients in `client` when given.
    case securityEvents(limit: Int, client: CIDR?)
    /// The clients with the most security events in the journal.
    case securityTop(count: Int)
    /// Block clients automatically by their security events; nil turns it off.
    case setAutoblock(AutoblockRule?)
    case reopenLogs
    /// `drain on`: `/readyz` answers 503 so a balancer stops sending work; everything else keeps being served.
    case drain(Bool)
    /// Start `stats`, `top`, `slowlog` and the Prometheus counters again from zero.
    case resetStats
    /// The `count` slowest requests since start or the last `slowlog reset`.
    case slowlog(count: Int)
    case resetSlowlog
    /// Every setting with its value, source and whether it changes live.
    case config
    case configGet(String)
    /// Change a live setting: name and value as the long flag takes them.
    case configSet(String, String)
    /// Write the settings and the blocklist to `path` (nil: the `--config` file, else `httpsh.conf`).
    case configSave(path: String?)
    /// The open connections.
    case connections
    /// Close the connection numbered `id` (from `connections`).
    case kill(connection: Int)
    /// Graceful: finish in-flight requests within `graceSeconds` (nil: the configured grace); 0 drops everything.
    case shutdown(graceSeconds: Double?)

    /// The graces a shutdown may be given, by `shutdown --grace` or the `shutdown-grace` setting: an hour covers
    /// any real transfer, more is a typo.
    public static let shutdownGraceRange = 0...3600
}
