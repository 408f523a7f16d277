/// The shared services the engine uses, and only those: it records into them while serving, and its housekeeper
/// keeps the uploads in progress fresh for other servers sharing the folder and closes the file cache's idle files.
/// Settings and the rest of `ServerContext` belong to the handlers and the control, not to the engine.
struct EngineServices: Sendable {
    let logger: Logger
    let stats: ServerStats
    let blocklist: Blocklist
    let accessLog: AccessLog
    let counters: RequestCounters
    let metrics: MetricsRegistry
    let securityEvents: SecurityJournal
    let gauges: EngineGauges
    let limits: LiveLimits
    let uploads: UploadStore
    let fileCache: FileCache
    /// Who counts as one client for the per-client connection cap (the rate limiter's IPv6 prefix).
    let limiter: RateLimiter

    init(_ context: ServerContext) {
        logger = context.logger
        stats = context.stats
        blocklist = context.blocklist
        accessLog = context.accessLog
        counters = context.counters
        metrics = context.metrics
        securityEvents = context.securityEvents
        gauges = context.gauges
        limits = context.limits
        uploads = context.uploads
        fileCache = context.fileCache
        limiter = context.limiter
    }
}
