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
    /// The uploads folder: written by `POST /upload`, listed by the shell, counted for metrics.
    public let uploads: UploadStore
    /// The access-log line format.
    public let accessLogFormat: AccessLog.Format
    private let readiness = Atomic<Bool>(true)

    public init(configuration: ServerConfiguration, logger: Logger, accessLogFormat: AccessLog.Format = .combined) {
        self.logger = logger
        settings = LiveSettings(directoryListing: configuration.directoryListing)
        counters = RequestCounters()
        stats = ServerStats(startedAt: Int(time(nil)))
        blocklist = Blocklist()
        uploads = UploadStore(folder: configuration.uploads)
        self.accessLogFormat = accessLogFormat
    }

    /// False once a graceful shutdown has begun (`/readyz` answers 503 then).
    public internal(set) var ready: Bool {
        get { readiness.load(ordering: .relaxed) }
        set { readiness.store(newValue, ordering: .relaxed) }
    }
}
