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
    /// Which origins CORS answers; nil turns it off.
    case setCORS(CORSMiddleware.AllowedOrigins?)
    case setLogLevel(LogLevel)
    case counters(top: Int?, prefix: String?)
    case resetCounters
    /// The newest `limit` uploads (nil: all of them).
    case uploads(limit: Int?)
    case showUpload(name: String)
    case block(CIDR, reason: String)
    case unblock(CIDR)
    case blocked
    /// The newest `limit` security events, of clients in `client` when given.
    case securityEvents(limit: Int, client: CIDR?)
    /// The clients with the most security events in the journal.
    case securityTop(count: Int)
    /// Block clients automatically by their security events; nil turns it off.
    case setAutoblock(AutoblockRule?)
    case reopenLogs
    /// Graceful: finish in-flight requests within `graceSeconds` (nil: the configured grace); 0 drops everything.
    case shutdown(graceSeconds: Double?)
}
