import Glibc
import Synchronization

/// The live state a running server shares with its handlers and its control: settings, counters, the
/// blocklist, statistics and the logger. Create it first, build the router's handlers with it, then the server.
public final class ServerContext: Sendable {
    public let logger: Logger
    public let settings: LiveSettings
    public let counters: RequestCounters
    public let stats: ServerStats
    public let blocklist: Blocklist
    /// Per-worker request metrics, combined for `/metrics` and the shell.
    public let metrics = MetricsRegistry()
    /// One line per request.
    public let accessLog: AccessLog
    /// The uploads folder: written by `POST /upload`, listed by the shell, counted for metrics.
    public let uploads: UploadStore
    private let readiness = Atomic<Bool>(true)
    private let gaugeSource = Lock<(@Sendable () -> EngineGauges)?>(nil)

    /// What the running engine looks like right now.
    public struct EngineGauges: Sendable {
        public var openConnections = 0
        public var workersLive = 0
        public var workersBusy = 0
    }

    /// The engine's gauges; zeros before a server starts.
    public var gauges: EngineGauges { gaugeSource.withLock { $0 }?() ?? EngineGauges() }

    func setGaugeSource(_ source: @escaping @Sendable () -> EngineGauges) {
        gaugeSource.withLock { $0 = source }
    }

    /// Creates the live state; fails only when the access-log file cannot be opened.
    public init(configuration: ServerConfiguration, logger: Logger) throws(AccessLog.OpenError) {
        self.logger = logger
        accessLog = try AccessLog(logger: logger, format: configuration.accessLogFormat,
                                  destination: configuration.accessLog)
        settings = LiveSettings(directoryListing: configuration.directoryListing)
        counters = RequestCounters()
        stats = ServerStats(startedAt: Int(time(nil)))
        blocklist = Blocklist()
        uploads = UploadStore(folder: configuration.uploads, abandonAfterSeconds: configuration.bodyTimeoutSeconds)
    }

    /// False once a graceful shutdown has begun (`/readyz` answers 503 then).
    public internal(set) var ready: Bool {
        get { readiness.load(ordering: .relaxed) }
        set { readiness.store(newValue, ordering: .relaxed) }
    }
}
