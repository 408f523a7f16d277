import HTTPServer

/// The command line and environment, parsed into a server configuration and how to run.
struct Options {
    /// How the process is driven.
    enum Mode: Equatable {
        /// The interactive shell when stdin is a terminal, else commands read from stdin.
        case shell
        /// Serve until SIGTERM/SIGINT, reading no commands.
        case serveOnly
    }

    var configuration = ServerConfiguration()
    var mode = Mode.shell
    /// After a script on stdin ends, keep serving until a signal (`--serve`).
    var serveAfterScript = false
    /// Commands from `-c 'cmd; cmd'`.
    var commands: String?
    var showHelp = false
    var showVersion = false

    /// A bad flag or value: printed as one line, exit status 2.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static let usage = """
    Usage: httpsh [options]

    Serves a folder over HTTP/1.1 and opens an admin shell to control the running server.

    Options:
      -p, --port PORT             port to listen on (default 8080; env SERVER_PORT)
          --host ADDRESS          address to bind: 127.0.0.1, 0.0.0.0, ::, ::1 (default 127.0.0.1; env SERVER_HOST)
      -d, --root DIR              folder to serve (default ./public)
          --uploads DIR           folder for uploads (default ./uploads)
          --workers N             worker threads, 1-256 (default: one per CPU, at least 2; env MAX_WORKERS)
          --dir-listing on|off    list folders without index.html (default on; also enabled|disabled)
          --precompressed on|off  serve x.br, x.zst, x.gz beside x to clients that accept them (default on)
          --cors off|*|ORIGINS    origins (comma-separated) whose scripts may read responses (default off;
                                  env CORS_ORIGINS)
          --log-level LEVEL       debug, info, warning, error or none (default info; env LOG_LEVEL)
          --rate-limit N/SECONDS  per-client limit, 429 beyond (default off; env RATE_LIMIT_REQUESTS
                                  and RATE_LIMIT_WINDOW)
          --idle-timeout SECONDS  close idle keep-alive connections after this long (default 30)
          --header-timeout SECONDS  answer 408 when a request head takes longer (default 10; env CLIENT_TIMEOUT)
          --max-requests N        requests per keep-alive connection (default 100)
          --max-connections N     open connections before new ones get 503 (default: half the fd limit)
          --max-upload SIZE       largest upload, e.g. 64M (default 64M)
          --file-cache SIZE       memory for hot small files, 0 for off (default 32M)
          --shutdown-grace SECONDS  how long a graceful shutdown waits (default 10)
          --access-log PATH|off   write the access log to a file (default: standard error, above the prompt)
          --log-format combined|json  access-log line format (default combined, as nginx)
          --metrics-path PATH|off Prometheus endpoint (default /metrics)
          --allowed-hosts A,B     Host names to answer, others get 421 (default: the bind address,
                                  localhost, 127.0.0.1, [::1]; any name when bound to 0.0.0.0 or ::; * for any)
          --trust-proxy CIDR      take the client address from X-Forwarded-For when the peer is in CIDR
                                  (repeatable)
          --no-shell              serve until SIGTERM or SIGINT, without a shell
          --serve                 after commands from stdin or -c, keep serving until a signal
      -c COMMANDS                 run shell commands (one per line, or separated by ; outside quotes), then
                                  shut down (unless --serve)
      -h, --help                  show this help
          --version               show the version
    """

    /// Parses `arguments` (without the program name) over `environment`; flags win over the environment.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> Options {
        var options = Options()
        var config = ServerConfiguration()
        if let host = environment["SERVER_HOST"], !host.isEmpty { config.host = host }
        if let port = environment["SERVER_PORT"], !port.isEmpty { config.port = try parsePort(port, "SERVER_PORT") }
        if let workers = environment["MAX_WORKERS"], !workers.isEmpty {
            config.workers = try parseInt(workers, "MAX_WORKERS", 1...256)
        }
        if let level = environment["LOG_LEVEL"], !level.isEmpty { config.logLevel = try parseLevel(level, "LOG_LEVEL") }
        if let requests = environment["RATE_LIMIT_REQUESTS"], !requests.isEmpty {
            let window = environment["RATE_LIMIT_WINDOW"].flatMap { $0.isEmpty ? nil : $0 } ?? "1"
            config.rateLimit = try parseRateLimit("\(requests)/\(window)", "RATE_LIMIT_REQUESTS/RATE_LIMIT_WINDOW")
        }
        if let origins = environment["CORS_ORIGINS"], !origins.isEmpty {
            config.cors = try parseCORS(origins, "CORS_ORIGINS")
        }
        if let timeout = environment["CLIENT_TIMEOUT"], !timeout.isEmpty {
            config.headerTimeoutSeconds = try parseInt(timeout, "CLIENT_TIMEOUT", 1...3600)
        }

        var index = 0
        func value(_ flag: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            var argument = arguments[index]
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                inline = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            func next() throws(UsageError) -> String {
                if let inline { return inline }
                return try value(argument)
            }
            switch argument {
            case "-p", "--port": config.port = try parsePort(try next(), argument)
            case "--host": config.host = try next()
            case "-d", "--root": config.root = try next()
            case "--uploads": config.uploads = try next()
            case "--workers": config.workers = try parseInt(try next(), argument, 1...256)
            case "--dir-listing": config.directoryListing = try parseSwitch(try next(), argument)
            case "--precompressed": config.precompressed = try parseSwitch(try next(), argument)
            case "--cors": config.cors = try parseCORS(try next(), argument)
            case "--log-level": config.logLevel = try parseLevel(try next(), argument)
            case "--rate-limit":
                let text = try next()
                config.rateLimit = text == "off" ? nil : try parseRateLimit(text, argument)
            case "--idle-timeout": config.idleTimeoutSeconds = try parseInt(try next(), argument, 1...86_400)
            case "--header-timeout": config.headerTimeoutSeconds = try parseInt(try next(), argument, 1...3600)
            case "--max-requests": config.maxRequestsPerConnection = try parseInt(try next(), argument, 1...1_000_000)
            case "--max-connections": config.maxConnections = try parseInt(try next(), argument, 1...10_000_000)
            case "--max-upload": config.maxUploadBytes = try parseSize(try next(), argument)
            case "--file-cache":
                let size = try next()
                config.fileCacheBytes = size == "0" || size == "off" ? 0 : try parseSize(size, argument)
            case "--shutdown-grace": config.shutdownGraceSeconds = try parseInt(try next(), argument, 0...3600)
            case "--access-log":
                let path = try next()
                config.accessLog = path == "off" ? .off : path == "-" ? .logger : .file(path)
            case "--log-format":
                let name = try next()
                guard let format = AccessLog.Format(rawValue: name) else {
                    throw UsageError(description: "\(argument): '\(name)' is not combined or json")
                }
                config.accessLogFormat = format
            case "--metrics-path":
                let path = try next()
                guard path == "off" || path.hasPrefix("/") else {
                    throw UsageError(description: "\(argument): '\(path)' must start with / (or be off)")
                }
                config.metricsPath = path == "off" ? nil : path
            case "--allowed-hosts":
                config.allowedHosts = try next().split(separator: ",").map { String($0.filter { $0 != " " }) }
            case "--trust-proxy":
                let text = try next()
                guard let range = CIDR(text) else {
                    throw UsageError(description: "\(argument): '\(text)' is not an IP address or CIDR range")
                }
                config.trustedProxies.append(range)
            case "--no-shell": options.mode = .serveOnly
            case "--serve": options.serveAfterScript = true
            case "-c": options.commands = try next()
            case "-h", "--help": options.showHelp = true
            case "--version": options.showVersion = true
            default: throw UsageError(description: "unknown option '\(arguments[index])' (see httpsh --help)")
            }
            index += 1
        }
        options.configuration = config
        return options
    }

    private static func parseInt(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(description: "\(name): '\(text)' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func parsePort(_ text: String, _ name: String) throws(UsageError) -> UInt16 {
        UInt16(try parseInt(text, name, 0...65535))
    }

    private static func parseRateLimit(_ text: String, _ name: String) throws(UsageError) -> RateLimit {
        guard let limit = RateLimit(parsing: text) else {
            throw UsageError(description: "\(name): '\(text)' is not N/SECONDS such as 10/1 or 100/60")
        }
        return limit
    }

    private static func parseLevel(_ text: String, _ name: String) throws(UsageError) -> LogLevel {
        guard let level = LogLevel(name: text) else {
            throw UsageError(description: "\(name): '\(text)' is not a log level (debug, info, warning, error, none)")
        }
        return level
    }

    /// `off` (nil), `*`, or origins separated by commas.
    private static func parseCORS(_ text: String, _ name: String) throws(UsageError) -> CORSMiddleware.AllowedOrigins? {
        if text.lowercased() == "off" { return nil }
        guard let origins = CORSMiddleware.AllowedOrigins(parsing: text) else {
            throw UsageError(description: "\(name): '\(text)' is not off, * or origins such as https://app.example,http://localhost:3000")
        }
        return origins
    }

    private static func parseSwitch(_ text: String, _ name: String) throws(UsageError) -> Bool {
        switch text.lowercased() {
        case "on", "enabled", "true", "yes", "1": return true
        case "off", "disabled", "false", "no", "0": return false
        default: throw UsageError(description: "\(name): '\(text)' is not on/off (or enabled/disabled)")
        }
    }

    /// `65536`, `64K`, `64M`, `1G`.
    static func parseSize(_ text: String, _ name: String) throws(UsageError) -> Int {
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var multiplier = 1
        if digits.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let factor = multipliers[last] {
            multiplier = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= Int.max / multiplier else {
            throw UsageError(description: "\(name): '\(text)' is not a size such as 65536, 512K or 64M")
        }
        return value * multiplier
    }
}
