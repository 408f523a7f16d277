import CLinux

/// Everything a server needs to start, and nothing else: `Server` (with its `ServerContext`) honours every field.
/// Values that can change live (workers, dir listing, log level, rate limit) start from here and are then changed
/// through the command bus; `directoryListing` and `precompressed` start the live settings (`context.settings`)
/// every `StaticFiles` built with them follows.
///
/// Which folders a program serves and where it stores uploads are its routes' business, not the server's (a
/// server serves nothing it was not given a route for): httpsh's own routes take theirs from `SiteConfiguration`.
public struct ServerConfiguration: Sendable {
    /// The address to bind: `127.0.0.1`, `0.0.0.0`, `::`, `::1` or `localhost`.
    public var host = "127.0.0.1"
    /// The TCP port; 0 lets the kernel pick one (tests).
    public var port: UInt16 = 8080
    /// Worker threads at start.
    public var workers = ServerConfiguration.defaultWorkers
    /// One worker per CPU this process may run on: more threads than CPUs only take turns by the scheduler's time
    /// slice, and a request waits while another worker holds its CPU (measured on one CPU, 50 connections: p99
    /// 4.1 ms with two workers, 0.9 ms with one). A worker stuck in a disk sync or a slow handler does not stall
    /// the server: the pool starts a spare while every worker is stuck (`WorkerPool`).
    public static var defaultWorkers: Int {
        max(1, Int(clinux_usable_cpus()))
    }
    /// How many workers a server may run: past 256 threads on a machine of a few cores only context switches grow.
    public static let workerRange = 1...256
    /// Whether directories without `index.html` are listed (else 403).
    public var directoryListing = true
    /// Whether `x.br`, `x.zst` or `x.gz` beside `x` are served to clients that accept them: on, since such files
    /// exist only when the operator made them for that purpose.
    public var precompressed = true
    /// The origins whose scripts may read responses (CORS); off by default, since a file server that answers
    /// every origin lets any web page a visitor opens read what the server shows on the visitor's network.
    /// Every `Server` answers CORS from it (changed live by `cors`).
    public var cors: CORSMiddleware.AllowedOrigins?
    /// The logger's level at start (`ServerContext` sets it on whatever logger it gets); changed live by `loglevel`.
    public var logLevel = LogLevel.info
    /// The per-client rate limit at start; off by default (a file server on a LAN should not surprise anyone).
    public var rateLimit: RateLimit?
    /// A keep-alive connection idle this long is closed: long enough for a browser's next click, short enough
    /// that idle sockets do not pile up.
    public var idleTimeoutSeconds = 30
    /// Requests served on one connection before it is closed, so long-lived clients get rebalanced. 1000, as
    /// nginx and lighttpd: with 100, a client busy on one connection opened a new one every 100 responses, a TCP
    /// handshake and teardown that cost wrk 0.8 µs and httpsh 0.2 µs per 1 KiB response (measured: 6.8 and 5.5
    /// µs per response with 100, 6.0 and 5.3 with 1000).
    public var maxRequestsPerConnection = 1000
    /// A client that has not sent a complete header section this long after starting gets 408 (slowloris).
    public var headerTimeoutSeconds = 10
    /// A request body that makes no progress this long is abandoned.
    public var bodyTimeoutSeconds = 30
    /// A response that makes no progress this long (client not reading) is abandoned.
    public var sendTimeoutSeconds = 60
    /// How long a graceful shutdown waits for in-flight requests before closing everything.
    public var shutdownGraceSeconds = 10
    /// Open connections beyond this get 503 at once; sized from the descriptor limit when nil.
    public var maxConnections: Int?
    /// Open connections of one client (an IPv4 address, or an IPv6 network of `rateLimitIPv6Prefix` bits) beyond
    /// this get 503 at once, as at `maxConnections`; nil for no cap. 256 is far more than browsers open (six per
    /// host) even for an office behind one NAT, and far fewer than the server's limit, so one address holding
    /// idle sockets cannot lock everyone else out. Trusted proxies (`trustedProxies`) are not capped.
    public var maxConnectionsPerClient: Int? = 256
    /// How many leading bits of an IPv6 address name one client, for the rate limit and the connection cap.
    public var rateLimitIPv6Prefix = RateLimiter.defaultIPv6PrefixLength
    /// Parser limits (request line, header section).
    public var parserLimits = RequestParser.Limits()
    /// Whether other servers may listen on the same port (SO_REUSEPORT), for an upgrade without downtime: a new
    /// server starts beside this one, which then drains and hands its new connections over. Every server on the
    /// port must set it.
    public var reusePort = false
    /// The listen backlog: at least 511, like nginx, so bursts of connects are not refused.
    public var backlog: Int32 = 1024
    /// Where access-log lines go, and in which format.
    public var accessLog = AccessLog.Destination.logger
    public var accessLogFormat = AccessLog.Format.combined
    /// The path of the Prometheus endpoint, or nil to serve none.
    public var metricsPath: String? = "/metrics"
    /// Host names answered (others get 421); nil for the default of `HostPolicy`.
    public var allowedHosts: [String]?
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    public var trustedProxies: [CIDR] = []
    /// Memory for the contents of hot small files (`FileCache`); 0 turns the cache off.
    public var fileCacheBytes = FileCache.defaultCapacity
    /// Security events kept for `events` (older ones are dropped; totals by kind still count them).
    public var securityEventCapacity = SecurityJournal.defaultCapacity
    /// Sent as `Server`.
    public var serverName = "httpsh"

    public init() {}
}
