import Glibc

/// An HTTP/1.1 server: a listening socket, a pool of worker threads sharing one epoll set, and a router.
/// Every server refuses blocked clients and clients over the rate limit (`ProtectionMiddleware`, outermost),
/// serves its metrics at `configuration.metricsPath`, and answers CORS for the live `cors` setting (started from
/// `configuration.cors`; innermost, so a program's own middleware sees the request first).
///
/// ```swift
/// let context = try ServerContext(configuration: config, logger: logger)
/// var router = Router()
/// router.get("/hello") { _ in Response(text: "hello\n") }
/// let server = try Server(configuration: config, context: context, router: router)
/// try server.start()
/// ```
public final class Server: Sendable {
    /// Why a server could not start.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String

        /// Also for a program's own reasons not to start (a missing folder its routes need).
        public init(description: String) {
            self.description = description
        }
    }

    public let configuration: ServerConfiguration
    public let context: ServerContext
    let engine: Engine

    /// Binds the listening socket (so a port in use fails here, before anything runs).
    public init(configuration: ServerConfiguration, context: ServerContext, router: Router) throws(StartError) {
        self.configuration = configuration
        self.context = context
        var router = router
        router.useFirst(ProtectionMiddleware(blocklist: context.blocklist, limiter: context.limiter,
                                             journal: context.securityEvents))
        if let path = configuration.metricsPath {
            router.get(path, MetricsEndpoint(context: context).handle)
        }
        router.use(CORSMiddleware(origins: context.settings.cors))
        do {
            engine = try Engine(configuration: configuration, services: EngineServices(context), router: router)
        } catch {
            throw StartError(description: Self.explain(error, configuration))
        }
    }

    /// Starts the workers; requests are served from now on.
    public func start() throws(StartError) {
        do {
            try engine.start()
        } catch {
            throw StartError(description: "cannot start: \(error)")
        }
    }

    /// The address actually bound (with the kernel's port when configured with port 0).
    public var address: SocketAddress { engine.address }

    /// `http://127.0.0.1:8080/`, `http://[::1]:8080/`.
    public var url: String {
        let host = address.family == AF_INET6 ? "[\(address.ip)]" : "\(address.ip)"
        return "http://\(host):\(address.port)/"
    }

    /// Worker threads running now, the size last asked for, those handling an event now, and the spares among
    /// the live ones (started because every worker was stuck; workers leaving after a shrink are not spares).
    public var workers: (live: Int, target: Int, busy: Int, spare: Int) {
        (engine.pool.liveCount, engine.pool.targetCount, engine.pool.busy, engine.pool.spareCount)
    }

    /// Open client connections.
    public var openConnections: Int { engine.registry.count }

    /// The most connections served at once; more get 503.
    public var maxConnections: Int { engine.maxConnections }

    /// Resizes the worker pool live (within `ServerConfiguration.workerRange`); returns the new size, or nil once
    /// `shutdown` is stopping the workers: no worker starts then.
    @discardableResult
    public func resizeWorkers(to count: Int) -> Int? {
        engine.resizeWorkers(to: count)
    }

    /// Closes the open connections of clients in `range` (their in-flight request, if any, finishes first).
    public func disconnect(_ range: CIDR) -> Int {
        var closed = 0
        engine.registry.forEach { connection in
            if range.contains(connection.client), connection.phase != .active {
                connection.socket.shutdown(.both)
                closed += 1
            }
        }
        return closed
    }

    /// Stops accepting, finishes in-flight requests (closing their connections after the response), closes idle
    /// connections, and after `graceSeconds` closes what is left. Returns when every worker has stopped.
    /// A grace of 0 drops everything at once.
    public func shutdown(graceSeconds: Double) -> DrainReport {
        context.ready = false  // before anything closes: a balancer polling /readyz stops sending work first
        return engine.drain(graceSeconds: graceSeconds)
    }

    /// Seconds left in the grace period of the shutdown under way (0 once it is over), or the whole grace period
    /// before one: how long what comes after the drain (flushing the log) may still take.
    public var graceSecondsLeft: Double {
        let deadline = engine.drainDeadline.load(ordering: .relaxed)
        guard deadline > 0 else { return Double(context.limits.shutdownGraceSeconds) }
        return Double(max(0, deadline - MonotonicClock.milliseconds())) / 1000
    }

    /// True once `shutdown` has begun.
    public var isDraining: Bool { engine.draining.load(ordering: .relaxed) }

    /// A descriptor that turns readable once `shutdown` has begun (`isDraining`) and stays so: a thread waiting
    /// in `poll` for something else (a shell's input) adds it, to hear of the shutdown at once rather than by
    /// asking `isDraining` on a timer. Neither read nor close it.
    public var shutdownDescriptor: Int32 { engine.drainBegun.fd }

    private static func explain(_ error: SocketError, _ configuration: ServerConfiguration) -> String {
        switch error.code {
        case EADDRINUSE: "port \(configuration.port) on \(configuration.host) is already in use"
        case EACCES: "permission denied to listen on port \(configuration.port) (ports below 1024 need root)"
        case EADDRNOTAVAIL: "address \(configuration.host) is not available on this machine"
        case EINVAL where error.call.hasPrefix("invalid address"):
            "invalid address '\(configuration.host)' (use an IP such as 127.0.0.1, 0.0.0.0, :: or localhost)"
        default: "cannot listen on \(configuration.host):\(configuration.port): \(error)"
        }
    }
}
