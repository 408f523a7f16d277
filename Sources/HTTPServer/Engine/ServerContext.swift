import Glibc
import Synchronization

/// The live state a running server shares with its handlers and its control: settings, counters, the
/// blocklist and rate limiter, statistics and the logger. Create it first (`init(configuration:logger:)`, or
/// `init(configuration:site:logger:)` for httpsh's routes, in SiteConfiguration.swift), build the router's handlers
/// with it, then the server.
public final class ServerContext: Sendable {
    public let logger: Logger
    public let settings: LiveSettings
    public let counters: RequestCounters
    public let stats: ServerStats
    public let blocklist: Blocklist
    /// Timeouts, caps and the upload limit, changed live by `config set`.
    public let limits: LiveLimits
    /// What looked hostile (traversal, smuggling, floods…), for `events` and `/metrics`.
    public let securityEvents: SecurityJournal
    /// Blocks clients by their security events once the operator sets a rule (`autoblock`); off at start.
    public let autoblock: Autoblocker
    /// The per-client rate limit, started from `ServerConfiguration.rateLimit` and changed live.
    public let limiter: RateLimiter
    /// Per-worker request metrics, combined for `/metrics` and the shell.
    public let metrics = MetricsRegistry()
    /// One line per request.
    public let accessLog: AccessLog
    /// The uploads folder of the program's upload route (httpsh's `POST /upload`): listed by the shell, counted
    /// for metrics, its uploads in progress kept alive for other servers sharing the folder.
    public let uploads: UploadStore
    /// Hot files served from memory, shared by the server's `StaticFiles` (its size shows in `status`, `/metrics`).
    public let fileCache: FileCache
    private let readiness = Atomic<Bool>(true)
    private let operatorDrain = Atomic<Bool>(false)
    /// Open connections and workers, written by the running engine; zeros before a server starts.
    public let gauges = EngineGauges()

    /// Creates the live state from `configuration` (the logger's level becomes `configuration.logLevel`), with the
    /// upload store on `uploadsFolder` and the upload route's limits, which the application names (the server has
    /// no uploads of its own); fails only when the access-log file cannot be opened.
    init(configuration: ServerConfiguration, logger: Logger, uploadsFolder: String, maxUploadBytes: Int,
         uploadsQuotaBytes: Int?) throws(AccessLog.OpenError) {
        logger.level = configuration.logLevel
        self.logger = logger
        accessLog = try AccessLog(logger: logger, format: configuration.accessLogFormat,
                                  destination: configuration.accessLog)
        settings = LiveSettings(directoryListing: configuration.directoryListing, cors: configuration.cors,
                                precompressed: configuration.precompressed)
        counters = RequestCounters()
        stats = ServerStats(startedAt: Int(time(nil)))
        blocklist = Blocklist()
        securityEvents = SecurityJournal(capacity: configuration.securityEventCapacity)
        autoblock = Autoblocker(blocklist: blocklist)
        autoblock.watch(securityEvents)
        limiter = RateLimiter(limit: configuration.rateLimit, ipv6PrefixLength: configuration.rateLimitIPv6Prefix)
        uploads = UploadStore(folder: uploadsFolder, abandonAfterSeconds: configuration.bodyTimeoutSeconds)
        uploads.quotaBytes = uploadsQuotaBytes
        limits = LiveLimits(configuration,
                            maxConnections: configuration.maxConnections ?? Engine.connectionLimitFromDescriptors(),
                            maxUploadBytes: maxUploadBytes)
        fileCache = FileCache(capacity: configuration.fileCacheBytes)
    }

    /// Log lines dropped because their output was too slow: the logger's (standard error) and the access-log
    /// file's, for `status` and `/metrics`.
    public var logLinesDropped: Int { logger.droppedLines + accessLog.droppedLines }

    /// False once a graceful shutdown has begun, or while the operator drains (`/readyz` answers 503 then).
    public internal(set) var ready: Bool {
        get { readiness.load(ordering: .relaxed) && !drained }
        set { readiness.store(newValue, ordering: .relaxed) }
    }

    /// `drain on`: not ready, so a balancer sends no new work, while everything keeps being served.
    public var drained: Bool {
        get { operatorDrain.load(ordering: .relaxed) }
        set { operatorDrain.store(newValue, ordering: .relaxed) }
    }
}
