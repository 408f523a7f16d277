import CLinux
import Glibc
import Synchronization

/// The running server's machinery: the listener, the shared epoll set, the workers, the open connections and
/// the request pipeline. `Server` is its public face; `ServerControl` changes it only through its methods.
final class Engine: Sendable {
    let configuration: ServerConfiguration
    let listener: Socket
    let address: SocketAddress
    let events: EventSet
    let wake: WakeEvent
    let pool: WorkerPool
    let registry: ConnectionRegistry
    let pipeline: Pipeline
    let parser: RequestParser
    let forwarded: ForwardedClient
    let services: EngineServices
    /// The most connections served at once; more get 503. Changes live.
    var maxConnections: Int { services.limits.maxConnections }
    var logger: Logger { services.logger }
    var stats: ServerStats { services.stats }
    var blocklist: Blocklist { services.blocklist }
    var accessLog: AccessLog { services.accessLog }

    /// Set when a graceful shutdown begins: no new connections, no keep-alive.
    let draining = Atomic<Bool>(false)
    /// Turns readable (for good) once `draining` is set: `Server.shutdownDescriptor`.
    let drainBegun: WakeEvent
    /// When the grace period of a shutdown ends (monotonic milliseconds); 0 before a shutdown.
    let drainDeadline = Atomic<Int64>(0)
    /// Set once the workers are stopped, to end the housekeeper.
    let stopped = Atomic<Bool>(false)
    /// Set while accepting is paused after EMFILE/ENFILE; the housekeeper resumes it.
    let acceptPaused = Atomic<Bool>(false)
    /// Wakes the housekeeper from its sleep while there was nothing to watch (`needsWatching`): rung once a
    /// connection is counted open, accepting paused or the workers stopped (each written sequentially
    /// consistent, as `Doorbell` requires).
    let housekeeping = Doorbell()
    private let lastAcceptErrorLog = Atomic<Int64>(0)
    /// The last connection id handed out.
    private let connectionIDs = Atomic<Int>(0)

    init(configuration: ServerConfiguration, services: EngineServices, router: Router) throws(SocketError) {
        guard let bindAddress = SocketAddress(host: configuration.host, port: configuration.port) else {
            throw SocketError("invalid address '\(configuration.host)'", code: EINVAL)
        }
        self.configuration = configuration
        self.services = services
        registry = ConnectionRegistry(gauges: services.gauges)
        pipeline = Pipeline(router: router, counters: services.counters, logger: services.logger,
                            limits: services.limits, journal: services.securityEvents,
                            maxTrailerBytes: configuration.parserLimits.maxHeaderBytes)
        forwarded = ForwardedClient(trustedProxies: configuration.trustedProxies)
        parser = RequestParser(limits: configuration.parserLimits)
        events = try EventSet()
        wake = try WakeEvent()
        drainBegun = try WakeEvent()
        pool = WorkerPool(wake: wake, gauges: services.gauges)
        listener = try Socket.listen(on: bindAddress, backlog: max(configuration.backlog, 511),
                                     reusePort: configuration.reusePort)
        address = listener.localAddress() ?? bindAddress
    }

    /// Registers the listener and wake-up descriptors and starts the workers.
    func start() throws(SocketError) {
        // `sendfile` has no MSG_NOSIGNAL: without this, a client hanging up mid-file would kill the process.
        signal(SIGPIPE, SIG_IGN)
        try events.add(listener.fd, token: Worker.listenerToken, interest: .arrivals)
        try events.addPersistent(wake.fd, token: Worker.wakeToken)
        resetSteering()
        resizeWorkers(to: configuration.workers)
        Housekeeper(engine: self).start()
    }

    /// Changes the worker count; returns the new target, or nil once the workers are stopping (none starts).
    @discardableResult
    func resizeWorkers(to count: Int) -> Int? {
        pool.resize(to: count) { makeWorker() }
    }

    /// A new worker, counting its requests apart until it leaves.
    func makeWorker() -> Worker {
        Worker(engine: self, metrics: services.metrics.register())
    }

    // MARK: - Accepting

    /// Accepts what is waiting and reads each new connection's first request at once: a client usually sends it
    /// with the handshake's last packet or right behind it, so it is there already and waiting for epoll to say
    /// so would cost a round. A connection enters epoll only when it first waits (`park`): one answered and
    /// closed at once (`Connection: close`) never costs an `epoll_ctl`.
    ///
    /// The listener is edge-triggered: its event is not raised again for connections already queued, so this
    /// accepts until the queue is empty. A batch is bounded (one worker must not monopolise a flood): at the bound,
    /// re-registering raises a new event for what is left.
    func acceptConnections(on worker: Worker) {
        guard !acceptPaused.load(ordering: .relaxed) else { return }
        let accepted = worker.accepted
        var count = 0
        var emptied = false
        do {
            while count < Self.acceptBatch {
                guard let next = try listener.accept() else {
                    emptied = true
                    break
                }
                accepted.initializeElement(at: count, to: next)
                count += 1
            }
        } catch {
            // Out of descriptors: accepting again at once would spin a core at 100%. Pause; the
            // housekeeper resumes shortly, and we log at most once per second.
            acceptPaused.store(true, ordering: .sequentiallyConsistent)
            housekeeping.ring()
            emptied = true
            let now = MonotonicClock.milliseconds()
            if now - lastAcceptErrorLog.load(ordering: .relaxed) > 1000 {
                lastAcceptErrorLog.store(now, ordering: .relaxed)
                logger.error("\(error); pausing accept")
            }
        }
        if !emptied, !draining.load(ordering: .relaxed) {
            events.rearm(listener.fd, token: Worker.listenerToken, interest: .arrivals)
        }
        for (socket, peer) in accepted.prefix(count) {
            guard let connection = admit(socket, peer), let taken = registry.slots.acquire(connection.token) else {
                continue
            }
            worker.serve(taken, peerMayHaveClosed: false)
        }
    }

    /// Connections accepted per listener event at most.
    static let acceptBatch = 64

    /// Counts a new connection and enters it in the registry, or refuses it (503) at a connection limit. It is
    /// not in epoll yet: the caller serves it or `register`s it.
    @discardableResult
    func admit(_ socket: Socket, _ peer: SocketAddress) -> Connection? {
        stats.connectionAccepted()
        if registry.count >= maxConnections {
            refuse(socket, "server is at its connection limit; retry shortly")
            return nil
        }
        // TCP_NODELAY comes from the listener (Linux copies it to accepted sockets): no setsockopt here.
        let id = connectionIDs.add(1, ordering: .relaxed).newValue
        let client = peer.ip
        let cappedAs = forwarded.isTrusted(client) ? nil : services.limiter.client(of: client)
        let connection = Connection(socket: socket, peer: peer, client: client, id: id, cappedAs: cappedAs)
        guard registry.insert(connection, perClientLimit: services.limits.maxConnectionsPerClient) else {
            refuse(socket, "too many connections from your address; retry shortly")
            return nil
        }
        housekeeping.ring()
        clinux_handoff_release(Unmanaged.passUnretained(connection).toOpaque())
        return connection
    }

    /// Enters a parked connection in epoll, which then hands it to a worker when something happens on it; false
    /// (the connection is closed) when epoll refuses it.
    @discardableResult
    func register(_ connection: Connection, interest: EventSet.Interest) -> Bool {
        // Set first: once added, a worker may take the connection (a hand-over registers from another thread).
        connection.isRegistered = true
        connection.watchesOutput = interest == .inputAndOutput
        clinux_handoff_release(Unmanaged.passUnretained(connection).toOpaque())
        do {
            try events.add(connection.socket.fd, token: connection.token, interest: interest)
            return true
        } catch {
            logger.warning("\(error)")
            // All of it: a connection parks for the first time mid-response or mid-body too.
            close(connection)
            return false
        }
    }

    /// Answers 503 without a worker ever reading the request, and closes: the server, or this client, is at its
    /// connection limit.
    private func refuse(_ socket: Socket, _ reason: String) {
        stats.connectionRefused()
        let body = reason + "\n"
        let reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body
        var bytes = Array(reply.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var vector = [iovec(iov_base: raw.baseAddress, iov_len: raw.count)]
            _ = vector.withUnsafeMutableBufferPointer { socket.write($0) }
        }
        socket.close()
    }

    /// True while the housekeeper has something to check every `Housekeeper.intervalMilliseconds`: open
    /// connections (their time limits; a stuck worker is always serving one) or accepting paused.
    var needsWatching: Bool {
        registry.count > 0 || acceptPaused.load(ordering: .sequentiallyConsistent)
    }

    /// Accepts again after a pause for descriptor exhaustion: re-registering the listener raises an event for
    /// the connections that queued meanwhile.
    func resumeAcceptingIfPaused() {
        guard acceptPaused.load(ordering: .relaxed), !draining.load(ordering: .relaxed) else { return }
        acceptPaused.store(false, ordering: .relaxed)
        events.rearm(listener.fd, token: Worker.listenerToken, interest: .arrivals)
    }

    /// Raises the soft descriptor limit to the hard one, then allows half of it for connections, keeping the
    /// rest for files being served and uploads.
    static func connectionLimitFromDescriptors() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let soft = limit.rlim_cur == rlim_t.max ? 1 << 20 : Int(min(limit.rlim_cur, 1 << 24))
        return max(16, soft / 2)
    }

    // MARK: - Stopping

    /// Stops accepting, closes idle connections, lets active ones finish their current request, and after
    /// `graceSeconds` closes whatever is left. Then stops the workers.
    func drain(graceSeconds: Double) -> DrainReport {
        let started = MonotonicClock.milliseconds()
        let servedBefore = stats.requestsServed
        let inFlightBefore = stats.requestsInFlight
        guard !draining.exchange(true, ordering: .relaxed) else {
            return DrainReport(finishedRequests: 0, closedIdle: 0, forced: 0, milliseconds: 0)
        }
        drainBegun.signal()
        closeListener()

        // An idle connection whose next request has already arrived is left for its worker to answer. The others
        // are shut for reading only: their owner wakes, reads the end and closes. A request that arrives between
        // the check and the shutdown is still handed to the owner by Linux, so it must still be answerable;
        // shutting the write side too would have it read and then dropped.
        var closedIdle = 0
        registry.forEach { connection in
            if isIdleForGood(connection, now: started) {
                closedIdle += 1
                connection.socket.shutdown(.read)
            }
        }
        let deadline = started + Int64(graceSeconds * 1000)
        drainDeadline.store(deadline, ordering: .relaxed)
        while registry.count > 0, MonotonicClock.milliseconds() < deadline {
            usleep(5_000)
            // Connections that went idle after their last response are closed by their worker; a client that
            // opened a connection but never sent anything is closed here.
            let now = MonotonicClock.milliseconds()
            registry.forEach { connection in
                if isIdleForGood(connection, now: now) { connection.socket.shutdown(.read) }
            }
        }
        var forced = 0
        registry.forEach { connection in
            forced += 1
            connection.socket.shutdown(.both)
        }
        let settle = MonotonicClock.milliseconds() + 1000
        while registry.count > 0, MonotonicClock.milliseconds() < settle { usleep(2_000) }
        pool.stopAll()
        stopped.store(true, ordering: .sequentiallyConsistent)
        housekeeping.ring()
        let finished = max(0, min(inFlightBefore, stats.requestsServed - servedBefore))
        return DrainReport(finishedRequests: finished, closedIdle: closedIdle, forced: forced,
                           milliseconds: Int(MonotonicClock.milliseconds() - started))
    }

    /// A connection just accepted gets this long to send its first request during a drain: its client dialled
    /// a server it had every reason to think was serving (a hand-over accepts until the last moment).
    static let firstRequestGraceMilliseconds: Int64 = 1000

    /// True for a connection the drain may close: idle with no request waiting, and either served before (its
    /// client knows a keep-alive connection can close) or given its grace for a first request.
    private func isIdleForGood(_ connection: Connection, now: Int64) -> Bool {
        guard connection.phase == .idle, !connection.socket.hasPendingInput() else { return false }
        return connection.requestsAnswered.load(ordering: .relaxed) > 0
            || now - connection.openedAt >= Self.firstRequestGraceMilliseconds
    }
}
