import Glibc

/// Applies commands to the running server. It holds the server and the live objects it may change, and nothing
/// else changes them: every change arrives here through the `CommandBus`.
public struct ServerControl: Sendable {
    let server: Server
    /// Where `httpsh attach` reaches this server (nil: no control socket), for `status`.
    let controlSocket: String?
    /// The settings in force: the start configuration (the server's and its site's) with every live change applied.
    private(set) var configuration: ApplicationConfiguration
    /// Which source set each setting (absent: its default).
    private(set) var sources: [String: Setting.Source]
    /// Where `config save` writes when not told: the `--config` file.
    let settingsPath: String?

    /// The file `config save` writes when there is no `--config` file, in the working folder.
    static let defaultSettingsPath = "httpsh.conf"

    /// Control of `server`, which serves `site` (httpsh's routes; its folders show in `status` and `config`).
    public init(server: Server, site: SiteConfiguration, sources: [String: Setting.Source] = [:],
                settingsPath: String? = nil, controlSocket: String? = nil) {
        self.server = server
        configuration = ApplicationConfiguration(server: server.configuration, site: site)
        self.sources = sources
        self.settingsPath = settingsPath
        self.controlSocket = controlSocket
    }

    private var context: ServerContext { server.context }
    private var limiter: RateLimiter { context.limiter }

    mutating func apply(_ command: Command) -> Reply {
        switch command {
        case .status:
            return status()
        case .stats:
            return stats()
        case .top(let count):
            let summary = context.metrics.summary(top: count)
            let rows = summary.topPaths.map { [Reply.Cell.string("path"), .integer($0.1), .string(Self.decoded($0.0))] }
                + summary.topClients.map { [Reply.Cell.string("client"), .integer($0.1), .string($0.0)] }
            return .table([.init("KIND", key: "kind"), .init("REQUESTS", key: "requests"), .init("NAME", key: "name")],
                          rows)
        case .setWorkers(let count):
            let range = ServerConfiguration.workerRange
            guard range.contains(count) else {
                return .failed("workers: \(count) is out of range; use \(range.lowerBound) to \(range.upperBound)")
            }
            if let refusal = workersRefusal() { return refusal }
            let before = server.workers.target
            changeLive("workers") { $0.workers = count }
            return .done("workers: \(before) -> \(count)")
        case .setRateLimit(let limit):
            changeLive("rate-limit") { $0.rateLimit = limit }
            return .done(limit.map { "rate limit: \($0) per client" } ?? "rate limit: off")
        case .setPrecompressed(let on):
            context.settings.precompressed = on
            return .done("precompressed: \(on ? "on" : "off")")
        case .setDirectoryListing(let on):
            changeLive("dir-listing") { $0.directoryListing = on }
            return .done("directory listing: \(on ? "on" : "off")")
        case .setCORS(let origins):
            context.settings.cors.current = origins
            return .done("cors: \(origins?.description ?? "off")")
        case .setLogLevel(let level):
            changeLive("log-level") { $0.logLevel = level }
            return .done("log level: \(level)")
        case .config:
            let columns: [Reply.Column] = [.init("SETTING", key: "name"), .init("VALUE", key: "value"),
                                           .init("SOURCE", key: "source"), .init("CHANGES", key: "live")]
            return .table(columns, Settings.all.map { setting in
                [.string(setting.name), .string(setting.read(configuration)),
                 .string((sources[setting.name] ?? .default).rawValue),
                 Reply.Cell(.boolean(setting.live), text: setting.live ? "live" : "at restart")]
            })
        case .configGet(let name):
            guard let setting = Settings.named(name) else { return unknownSetting(name) }
            return .fields([
                .init("Setting", key: "name", setting.name),
                .init("Value", key: "value", setting.read(configuration)),
                .init("Source", key: "source", (sources[setting.name] ?? .default).rawValue),
                .init("Changes", key: "live", setting.live, text: setting.live ? "live" : "at restart"),
            ])
        case .configSet(let name, let text):
            return configSet(name, text)
        case .configSave(let path):
            return configSave(path ?? settingsPath ?? Self.defaultSettingsPath)
        case .counters(let top, let prefix):
            var rows = context.counters.snapshot()
            if let prefix { rows = rows.filter { $0.path.hasPrefix(prefix) } }
            if let top { rows = Array(rows.prefix(top)) }
            return .table([.init("COUNT", key: "count"), .init("PATH", key: "path")],
                          rows.map { [.integer($0.count), .string($0.path)] })
        case .resetCounters:
            context.counters.reset()
            return .done("counters reset")
        case .uploads(let limit):
            return uploads(limit: limit)
        case .showUpload(let name):
            return showUpload(name)
        case .block(let range, let reason, let seconds):
            guard context.blocklist.block(range, reason: reason, seconds: seconds) else {
                return .failed("\(range) is already blocked")
            }
            let closed = server.disconnect(range)
            return .done("blocked \(range)" + (seconds.map { " for \(Self.duration($0))" } ?? "")
                + (closed > 0 ? "; closed \(closed) open connection(s)" : ""))
        case .unblock(let range):
            guard context.blocklist.unblock(range) else {
                // A narrower range inside a blocked one stays refused: name the range that does it.
                let covering = context.blocklist.list.first {
                    $0.range.prefixLength <= range.prefixLength && $0.range.contains(range.network)
                }
                if let covering {
                    return .failed("\(range) is not blocked itself, but \(covering.range) blocks it; "
                        + "'unblock \(covering.range)' lifts that")
                }
                return .failed("\(range) is not blocked (see 'blocked')")
            }
            return .done("unblocked \(range)")
        case .blocked:
            let columns: [Reply.Column] = [.init("RANGE", key: "range"), .init("SINCE", key: "since"),
                                           .init("EXPIRES", key: "expires"), .init("HITS", key: "hits"),
                                           .init("REASON", key: "reason")]
            return .table(columns, context.blocklist.list.map {
                [.string($0.range.description), Self.timeCell($0.since),
                 $0.expires.map(Self.timeCell) ?? Reply.Cell(.null, text: "never"), .integer($0.hits),
                 .string($0.reason)]
            })
        case .securityEvents(let limit, let client):
            return securityEvents(limit: limit, client: client)
        case .securityTop(let count):
            let columns: [Reply.Column] = [.init("CLIENT", key: "client"), .init("EVENTS", key: "events"),
                                           .init("LAST", key: "last"), .init("KINDS", key: "kinds")]
            return .table(columns, context.securityEvents.topClients(count).map {
                [.string($0.client.description), .integer($0.events), Self.timeCell($0.last),
                 .string($0.kinds.map(\.rawValue).joined(separator: ","))]
            })
        case .setAutoblock(let rule):
            context.autoblock.rule = rule
            return .done(rule.map { "autoblock: \($0.events) events in \($0.windowSeconds)s block a client for \($0.blockSeconds)s" }
                ?? "autoblock: off")
        case .reopenLogs:
            return .done(context.accessLog.reopen())
        case .drain(let on):
            context.drained = on
            return .done(on ? "draining: /readyz answers 503; requests are still served (drain off to undo)"
                : "ready: /readyz answers 200")
        case .resetStats:
            context.metrics.reset()
            return .done("stats reset")
        case .slowlog(let count):
            return slowlog(count)
        case .resetSlowlog:
            context.metrics.resetSlowest()
            return .done("slowlog reset")
        case .connections:
            return connections()
        case .kill(let id):
            guard server.kill(connection: id) else {
                return .failed("no open connection \(id) (see 'connections')")
            }
            return .done("closed connection \(id)")
        case .shutdown(let grace):
            let report = server.shutdown(graceSeconds: grace ?? Double(context.limits.shutdownGraceSeconds))
            return .fields([
                .init("Finished requests", key: "finished_requests", report.finishedRequests),
                .init("Closed idle connections", key: "closed_idle_connections", report.closedIdle),
                .init("Forced connections", key: "forced_connections", report.forced),
                .init("Drain milliseconds", key: "drain_ms", report.milliseconds),
            ])
        }
    }

    /// The journal's newest events; the detail is what the client sent, escaped for the terminal.
    private func securityEvents(limit: Int, client: CIDR?) -> Reply {
        let columns: [Reply.Column] = [.init("TIME", key: "time"), .init("CLIENT", key: "client"),
                                       .init("KIND", key: "kind"), .init("REQUEST", key: "request_id"),
                                       .init("DETAIL", key: "detail")]
        let events = context.securityEvents.recent(limit) { client?.contains($0) ?? true }
        return .table(columns, events.map {
            [Self.timeCell($0.time), .string($0.client.description), .string($0.kind.rawValue), .string($0.requestID),
             Reply.Cell(.string($0.detail), text: TerminalText.escaped($0.detail))]
        })
    }

    private func status() -> Reply {
        let stats = context.stats
        let summary = context.metrics.summary(top: 0)
        let rate = Double(summary.lastWindowRequests) / Double(WorkerMetrics.windowSeconds)
        let uptime = Int(Glibc.time(nil)) - stats.startedAt
        let memory = ProcessStats.residentBytes()
        let workers = server.workers
        let listing = context.settings.directoryListing
        let fileCache = context.fileCache.usage
        return .fields([
            .init("State", key: "state", server.isDraining ? "draining" : "serving"),
            .init("Ready", key: "ready", context.ready, text: context.ready ? "yes" : "no (/readyz answers 503)"),
            .init("Uptime", key: "uptime_seconds", .integer(uptime), text: Self.duration(uptime)),
            .init("URL", key: "url", server.url),
            .init("Root", key: "root", configuration.root),
            .init("Uploads", key: "uploads", configuration.uploads),
        ] + uploadsQuotaFields() + [
            .init("Workers", key: "workers", workers.live),
            .init("Spare workers", key: "workers_spare", workers.spare),
            .init("Workers busy", key: "workers_busy", workers.busy),
            .init("Open connections", key: "open_connections", server.openConnections),
            .init("In-flight requests", key: "in_flight_requests", stats.requestsInFlight),
            .init("Requests served", key: "requests_served", stats.requestsServed),
            .init("Req/s, last 10 s", key: "recent_requests_per_second", .number(Self.rounded(rate, 1)),
                  text: String(format: rate)),
            .init("Rate limit", key: "rate_limit", limiter.limit.map { Reply.Value.string($0.description) } ?? .null,
                  text: limiter.limit.map(\.description) ?? "off"),
            .init("Rate limited", key: "rate_limited", limiter.limitedTotal),
            .init("Directory listing", key: "directory_listing", listing, text: listing ? "on" : "off"),
            .init("Precompressed", key: "precompressed", context.settings.precompressed,
                  text: context.settings.precompressed ? "on" : "off"),
            .init("CORS", key: "cors", context.settings.cors.current.map { Reply.Value.string($0.description) } ?? .null,
                  text: context.settings.cors.current?.description ?? "off"),
            .init("Log level", key: "log_level", context.logger.level.description),
            .init("Blocked ranges", key: "blocked_ranges", context.blocklist.count),
            .init("File cache", key: "file_cache_bytes", .integer(fileCache.bytes), text: Self.fileCache(fileCache)),
            .init("Autoblock", key: "autoblock", context.autoblock.rule.map { Reply.Value.string($0.description) } ?? .null,
                  text: context.autoblock.rule?.description ?? "off"),
            .init("Security events", key: "security_events", context.securityEvents.totals().reduce(0) { $0 + $1.count }),
            .init("Log lines dropped", key: "log_lines_dropped", context.logLinesDropped),
            .init("Memory", key: "memory_bytes", .integer(memory), text: Self.bytes(memory)),
            .init("Open files", key: "open_files", ProcessStats.openDescriptors()),
            .init("Control socket", key: "control_socket", controlSocket.map(Reply.Value.string) ?? .null,
                  text: controlSocket ?? "off"),
        ])
    }

    /// `--uploads-quota` and how much of it the folder uses (counted only while a quota is set).
    private func uploadsQuotaFields() -> [Reply.Field] {
        guard let quota = context.uploads.quotaBytes else {
            return [.init("Uploads quota", key: "uploads_quota_bytes", .null, text: "off"),
                    .init("Uploads quota used", key: "uploads_quota_used_bytes", .null, text: "-")]
        }
        let used = context.uploads.quota.used
        return [.init("Uploads quota", key: "uploads_quota_bytes", .integer(quota), text: SettingValue.sizeText(quota)),
                .init("Uploads quota used", key: "uploads_quota_used_bytes", .integer(used), text: Self.bytes(used))]
    }

    /// Applies a live setting's new value to the running server and records it as changed live.
    private mutating func changeLive(_ name: String, _ change: (inout ApplicationConfiguration) -> Void) {
        guard let setting = Settings.named(name) else { return }
        change(&configuration)
        setting.adopt?(configuration, Setting.Targets(server: server))
        sources[name] = .live
    }

    private mutating func configSet(_ name: String, _ text: String) -> Reply {
        guard let setting = Settings.named(name) else { return unknownSetting(name) }
        guard setting.live else {
            return .failed("\(name) changes only at start: put it in the settings file ('config save') "
                + "or pass --\(name), then restart")
        }
        if setting.name == "workers", let refusal = workersRefusal() { return refusal }
        var changed = configuration
        if let problem = setting.write(&changed, text) { return .failed("\(name): \(problem)") }
        let before = setting.read(configuration)
        changeLive(name) { $0 = changed }
        return .done("\(name): \(before) -> \(setting.read(configuration))")
    }

    private func configSave(_ path: String) -> Reply {
        let text = SettingsFile.render(configuration, blocks: context.blocklist.list, savedAt: Int(Glibc.time(nil)))
        do throws(SettingsFile.Failure) {
            try SettingsFile.write(text, to: path)
        } catch {
            return .failed(error.description)
        }
        let blocks = context.blocklist.count
        return .done("saved \(Settings.all.count) settings and \(blocks) blocked range(s) to \(path); "
            + "start with --config \(path) to use them")
    }

    /// A worker count no longer changes once the server is shutting down: its workers are stopping, and a worker
    /// started now would leave at once. Said so, rather than `workers: 2 -> 4` for threads that never serve.
    private func workersRefusal() -> Reply? {
        guard server.isDraining else { return nil }
        return .failed("workers: the server is shutting down; no worker starts")
    }

    private func unknownSetting(_ name: String) -> Reply {
        .failed("no setting '\(name)'; 'config' lists them (the long flags' names: max-upload, idle-timeout, …)")
    }

    private func slowlog(_ count: Int) -> Reply {
        let columns: [Reply.Column] = [
            .init("ID", key: "id"), .init("DURATION", key: "duration_ms"), .init("STATUS", key: "status"),
            .init("CLIENT", key: "client"), .init("FINISHED", key: "finished"), .init("METHOD", key: "method"),
            .init("PATH", key: "path"),
        ]
        return .table(columns, context.metrics.slowest(count).map { entry in
            [.string(entry.id),
             Reply.Cell(.number(Double(entry.microseconds) / 1000), text: Self.microseconds(entry.microseconds)),
             .integer(entry.status), .string(entry.client.description), Self.timeCell(entry.finishedAt),
             .string(entry.method), .string(Self.decoded(entry.path))]
        })
    }

    private func connections() -> Reply {
        let columns: [Reply.Column] = [
            .init("ID", key: "id"), .init("CLIENT", key: "client"), .init("AGE", key: "age_seconds"),
            .init("STATE", key: "state"), .init("REQUESTS", key: "requests"), .init("BYTES OUT", key: "bytes_out"),
            .init("CURRENT REQUEST", key: "current_request"),
        ]
        return .table(columns, server.connections().map { connection in
            [.integer(connection.id), .string(connection.client),
             Reply.Cell(.integer(connection.ageSeconds), text: Self.duration(connection.ageSeconds)),
             .string(connection.state), .integer(connection.requests), .integer(connection.bytesOut),
             connection.currentRequest.map { Reply.Cell.string(Self.decoded($0)) } ?? Reply.Cell(.null, text: "-")]
        })
    }

    /// A path as `counters` shows it: percent-decoded (left as sent when it does not decode).
    static func decoded(_ path: String) -> String {
        PercentEncoding.decode(path) ?? path
    }

    private func stats() -> Reply {
        let summary = context.metrics.summary()
        var fields: [Reply.Field] = ["1xx", "2xx", "3xx", "4xx", "5xx"].map {
            .init("Requests \($0)", key: "requests_\($0)", summary.byClass[$0] ?? 0)
        }
        fields.append(.init("Bytes out", key: "response_bytes", summary.responseBytes))
        let windows = [("last minute", "last_minute", summary.lastMinute),
                       ("since start", "since_start", summary.sinceStart)]
        for (label, key, histogram) in windows {
            fields.append(.init("Requests (\(label))", key: "\(key)_requests", histogram.total))
            let points: [(String, Int64)] = [("p50", histogram.percentile(0.5)), ("p90", histogram.percentile(0.9)),
                                             ("p99", histogram.percentile(0.99)), ("max", histogram.maximum)]
            for (name, microseconds) in points {
                fields.append(.init("Latency \(name) (\(label))", key: "\(key)_\(name)_ms",
                                    .number(Double(microseconds) / 1000), text: Self.microseconds(microseconds)))
            }
        }
        return .fields(fields)
    }

    /// `value` rounded to `digits` decimals, so JSON shows `12.5`, not `12.499999999999998`.
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
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

    /// `12 files, 40 KiB of 32.0 MiB` (or `off`), then `, 3 open` when larger files are kept open.
    static func fileCache(_ usage: FileCache.Usage) -> String {
        guard usage.capacity > 0 else { return "off" }
        let open = usage.openFiles > 0 ? ", \(usage.openFiles) open" : ""
        return "\(usage.files) files, \(bytes(usage.bytes)) of \(bytes(usage.capacity))" + open
    }

    private func uploads(limit: Int?) -> Reply {
        do throws(UploadStore.ReadError) {
            let files = try context.uploads.list(limit: limit)
            let columns: [Reply.Column] = [.init("NAME", key: "name"), .init("SIZE", key: "size_bytes"),
                                           .init("UPLOADED", key: "uploaded")]
            return .table(columns, files.map { [.string($0.name), .integer($0.size), Self.timeCell($0.modified)] })
        } catch {
            return .failed("uploads: cannot read \(context.uploads.folder)")
        }
    }

    /// Prints a small upload (up to 64 KiB of text). A client chose those bytes: a binary file (NUL or invalid
    /// UTF-8) is refused, and control characters in text are shown escaped (`\x1b`), never sent to the terminal;
    /// either way the reply names the file to `cat` for the raw bytes.
    private func showUpload(_ name: String) -> Reply {
        let limit = 64 * 1024
        do throws(UploadStore.ReadError) {
            let bytes = try context.uploads.contents(of: name, limit: limit)
            let raw = "raw bytes: cat " + Self.shellQuoted(context.uploads.path(of: name))
            guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
                return .failed("uploads show: '\(name)' is binary, not shown; \(raw)")
            }
            let (text, escaped) = TerminalText.escaped(bytes: bytes, layout: .multiLine)
            guard escaped > 0 else { return .done(text) }
            let ending = text.hasSuffix("\n") ? "" : "\n"
            return .done(text + ending + "(\(escaped) control characters shown escaped as \\xNN; \(raw))")
        } catch {
            switch error {
            case .invalidName: return .failed("uploads show: '\(name)' is not an upload name (see 'uploads')")
            case .notFound, .folderUnreadable: return .failed("uploads show: no upload named '\(name)'")
            case .tooLarge: return .failed("uploads show: '\(name)' is larger than 64 KiB; fetch it over HTTP")
            }
        }
    }

    /// `text` in single quotes for a POSIX shell, so a path can be pasted whatever it holds.
    static func shellQuoted(_ text: String) -> String {
        var quoted = "'"
        for character in text { quoted += character == "'" ? "'\\''" : String(character) }
        return quoted + "'"
    }

    static func time(_ seconds: Int) -> String {
        UTCTime.format(seconds, "%Y-%m-%d %H:%M:%S")
    }

    /// A moment: shown as `2026-11-28 06:40:00` (UTC), in JSON as RFC 3339 `2026-11-28T06:40:00Z`.
    static func timeCell(_ seconds: Int) -> Reply.Cell {
        Reply.Cell(.string(UTCTime.format(seconds, "%Y-%m-%dT%H:%M:%SZ")), text: time(seconds))
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
