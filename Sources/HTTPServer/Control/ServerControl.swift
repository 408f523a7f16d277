import Glibc

/// Applies commands to the running server. It holds the server and the live objects it may change, and nothing
/// else changes them: every change arrives here through the `CommandBus`.
public struct ServerControl: Sendable {
    let server: Server
    let limiter: RateLimiter
    private var requestsAtLastStatus: (count: Int, time: Double)

    public init(server: Server, limiter: RateLimiter) {
        self.server = server
        self.limiter = limiter
        requestsAtLastStatus = (server.context.stats.requestsServed, RateLimiter.now())
    }

    private var context: ServerContext { server.context }

    mutating func apply(_ command: Command) -> Reply {
        switch command {
        case .status:
            return status()
        case .stats:
            return stats()
        case .top(let count):
            let summary = context.metrics.summary(top: count)
            let rows = summary.topPaths.map { ["path", String($0.1), $0.0] }
                + summary.topClients.map { ["client", String($0.1), $0.0] }
            return .table(["KIND", "REQUESTS", "NAME"], rows)
        case .setWorkers(let count):
            guard (1...256).contains(count) else { return .failed("workers: \(count) is out of range; use 1 to 256") }
            let before = server.workers.target
            server.resizeWorkers(to: count)
            return .done("workers: \(before) -> \(count)")
        case .setRateLimit(let limit):
            limiter.set(limit)
            return .done(limit.map { "rate limit: \($0) per client" } ?? "rate limit: off")
        case .setDirectoryListing(let on):
            context.settings.directoryListing = on
            return .done("directory listing: \(on ? "on" : "off")")
        case .setLogLevel(let level):
            context.logger.level = level
            return .done("log level: \(level)")
        case .counters(let top, let prefix):
            var rows = context.counters.snapshot()
            if let prefix { rows = rows.filter { $0.path.hasPrefix(prefix) } }
            if let top { rows = Array(rows.prefix(top)) }
            return .table(["COUNT", "PATH"], rows.map { [String($0.count), $0.path] })
        case .resetCounters:
            context.counters.reset()
            return .done("counters reset")
        case .uploads(let limit):
            return uploads(limit: limit)
        case .showUpload(let name):
            return showUpload(name)
        case .block(let range, let reason):
            guard context.blocklist.block(range, reason: reason) else { return .failed("\(range) is already blocked") }
            let closed = server.disconnect(range)
            return .done("blocked \(range)" + (closed > 0 ? "; closed \(closed) open connection(s)" : ""))
        case .unblock(let range):
            guard context.blocklist.unblock(range) else { return .failed("\(range) is not blocked (see 'blocked')") }
            return .done("unblocked \(range)")
        case .blocked:
            return .table(["RANGE", "SINCE", "HITS", "REASON"], context.blocklist.list.map {
                [$0.range.description, Self.time($0.since), String($0.hits), $0.reason]
            })
        case .reopenLogs:
            return .done(context.accessLog.reopen())
        case .shutdown(let grace):
            let report = server.shutdown(graceSeconds: grace ?? Double(server.configuration.shutdownGraceSeconds))
            return .fields([
                .init("Finished requests", report.finishedRequests),
                .init("Closed idle connections", report.closedIdle),
                .init("Forced connections", report.forced),
                .init("Drain milliseconds", report.milliseconds),
            ])
        }
    }

    private mutating func status() -> Reply {
        let stats = context.stats
        let now = RateLimiter.now()
        let served = stats.requestsServed
        let elapsed = max(now - requestsAtLastStatus.time, 0.001)
        let rate = Double(served - requestsAtLastStatus.count) / elapsed
        requestsAtLastStatus = (served, now)
        let workers = server.workers
        return .fields([
            .init("State", server.isDraining ? "draining" : "serving"),
            .init("Uptime", Self.duration(Int(Glibc.time(nil)) - stats.startedAt)),
            .init("URL", server.url),
            .init("Root", server.configuration.root),
            .init("Uploads", server.configuration.uploads),
            .init("Workers", workers.live),
            .init("Workers busy", workers.busy),
            .init("Open connections", server.openConnections),
            .init("In-flight requests", stats.requestsInFlight),
            .init("Requests served", served),
            .init("Recent req/s", String(format: rate)),
            .init("Rate limit", limiter.limit.map(\.description) ?? "off"),
            .init("Rate limited", limiter.limitedTotal),
            .init("Directory listing", context.settings.directoryListing ? "on" : "off"),
            .init("Log level", context.logger.level.description),
            .init("Blocked ranges", context.blocklist.count),
            .init("File cache", Self.fileCache(context.fileCache.usage)),
            .init("Memory", Self.bytes(ProcessStats.residentBytes())),
            .init("Open files", ProcessStats.openDescriptors()),
        ])
    }

    private func stats() -> Reply {
        let summary = context.metrics.summary()
        var fields: [Reply.Field] = ["1xx", "2xx", "3xx", "4xx", "5xx"].map {
            .init("Requests \($0)", summary.byClass[$0] ?? 0)
        }
        fields.append(.init("Bytes out", summary.responseBytes))
        for (label, histogram) in [("last minute", summary.lastMinute), ("since start", summary.sinceStart)] {
            fields.append(.init("Requests (\(label))", histogram.total))
            for (name, fraction) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
                fields.append(.init("Latency \(name) (\(label))", Self.microseconds(histogram.percentile(fraction))))
            }
            fields.append(.init("Latency max (\(label))", Self.microseconds(histogram.maximum)))
        }
        return .fields(fields)
    }

    /// `850 µs`, `12.3 ms`, `1.2 s`.
    static func microseconds(_ value: Int64) -> String {
        if value < 1000 { return "\(value) µs" }
        if value < 1_000_000 { return String(format: Double(value) / 1000) + " ms" }
        return String(format: Double(value) / 1_000_000) + " s"
    }

    /// `812 KiB`, `23.4 MiB`.
    static func bytes(_ value: Int) -> String {
        if value < 1 << 20 { return "\(value >> 10) KiB" }
        return String(format: Double(value) / Double(1 << 20)) + " MiB"
    }

    /// `12 files, 40 KiB of 32.0 MiB` (or `off`).
    static func fileCache(_ usage: FileCache.Usage) -> String {
        guard usage.capacity > 0 else { return "off" }
        return "\(usage.files) files, \(bytes(usage.bytes)) of \(bytes(usage.capacity))"
    }

    private func uploads(limit: Int?) -> Reply {
        do throws(UploadStore.ReadError) {
            let files = try context.uploads.list().prefix(limit ?? Int.max)
            return .table(["NAME", "SIZE", "UPLOADED"], files.map { [$0.name, String($0.size), Self.time($0.modified)] })
        } catch {
            return .failed("uploads: cannot read \(context.uploads.folder)")
        }
    }

    /// Prints a small upload (up to 64 KiB of text).
    private func showUpload(_ name: String) -> Reply {
        let limit = 64 * 1024
        do throws(UploadStore.ReadError) {
            let bytes = try context.uploads.contents(of: name, limit: limit)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .failed("uploads show: '\(name)' is not text; fetch it over HTTP")
            }
            return .done(text)
        } catch {
            switch error {
            case .invalidName: return .failed("uploads show: '\(name)' is not an upload name (see 'uploads')")
            case .notFound, .folderUnreadable: return .failed("uploads show: no upload named '\(name)'")
            case .tooLarge: return .failed("uploads show: '\(name)' is larger than 64 KiB; fetch it over HTTP")
            }
        }
    }

    static func time(_ seconds: Int) -> String {
        UTCTime.format(seconds, "%Y-%m-%d %H:%M:%S")
    }

    static func duration(_ seconds: Int) -> String {
        let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60)
        return h > 0 ? "\(h)h \(m)m \(s)s" : m > 0 ? "\(m)m \(s)s" : "\(s)s"
    }
}

extension String {
    /// A number with one decimal, without Foundation.
    init(format value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
