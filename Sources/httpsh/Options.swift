import AdminShell
import Glibc
import HTTPServer

/// The command line and environment, parsed into the server's and the site's configuration and how to run.
struct Options {
    /// How the process is driven.
    enum Mode: Equatable {
        /// The interactive shell when stdin is a terminal, else commands read from stdin.
        case shell
        /// Serve until SIGTERM/SIGINT, reading no commands.
        case serveOnly
    }

    var configuration = ApplicationConfiguration()
    var mode = Mode.shell
    /// After a script on stdin ends, keep serving until a signal (`--serve`).
    var serveAfterScript = false
    /// Commands from `-c 'cmd; cmd'`.
    var commands: String?
    /// Where the control socket goes.
    var control = Control.defaultPath
    /// The name that tells this server's default control socket from others on the same port (`--reuse-port`).
    var instance: String?
    /// The name in the default control socket's file: the one given, else the pid with `--reuse-port` (an old
    /// and a new server on one port must not clash), else none.
    var controlInstance: String? {
        instance ?? (configuration.reusePort ? String(getpid()) : nil)
    }
    /// Which source set each setting (absent: its default).
    var sources: [String: Setting.Source] = [:]
    /// The settings file read at start (`--config`), where `config save` writes by default.
    var settingsPath: String?
    /// Blocked ranges the settings file restores.
    var blocks: [Blocklist.Entry] = []
    var showHelp = false
    var showVersion = false

    /// The control socket `httpsh attach` reaches this server through.
    enum Control: Equatable {
        /// `ControlPath.defaultPath`, from the port actually bound.
        case defaultPath
        case path(String)
        case off
    }

    /// A bad flag or value: printed as one line, exit status 2.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static let usage = """
    Usage: httpsh [options]
           httpsh attach [--port N | --control PATH] [--instance NAME] [-c COMMANDS]

    Serves a folder over HTTP/1.1 and opens an admin shell to control the running server. 'httpsh attach' opens
    the same shell on a server that is already running (see httpsh attach --help).

    Options:
      -p, --port PORT             port to listen on (default 8080; env SERVER_PORT)
          --host ADDRESS          address to bind: 127.0.0.1, 0.0.0.0, ::, ::1 (default 127.0.0.1; env SERVER_HOST)
      -d, --root DIR              folder to serve (default ./public)
          --uploads DIR           folder for uploads (default ./uploads)
          --workers N             worker threads, \(ServerConfiguration.workerRange.lowerBound)-\(ServerConfiguration.workerRange.upperBound) (default: one per CPU; env MAX_WORKERS)
          --dir-listing on|off    list folders without index.html (default on; also enabled|disabled)
          --precompressed on|off  serve x.br, x.zst, x.gz beside x to clients that accept them (default on)
          --cors off|*|ORIGINS    origins (comma-separated) whose scripts may read responses (default off;
                                  env CORS_ORIGINS)
          --log-level LEVEL       debug, info, warning, error or none (default info; env LOG_LEVEL)
          --rate-limit N/SECONDS  per-client limit, 429 beyond (default off; env RATE_LIMIT_REQUESTS
                                  and RATE_LIMIT_WINDOW); 'N/SECONDS burst B' sets the burst
          --body-timeout SECONDS  abandon a request body that makes no progress this long (default 30)
          --idle-timeout SECONDS  close idle keep-alive connections after this long (default 30)
          --header-timeout SECONDS  answer 408 when a request head takes longer (default 10; env CLIENT_TIMEOUT)
          --max-requests N        requests per keep-alive connection (default 1000)
          --max-connections N     open connections before new ones get 503 (default: half the fd limit)
          --max-connections-per-ip N|off  open connections of one client before new ones get 503 (default 256;
                                  trusted proxies are not capped)
          --rate-limit-ipv6-prefix BITS  how much of an IPv6 address is one client, for the rate limit and
                                  the per-client cap, 32-128 (default 64)
          --max-upload SIZE       largest upload, e.g. 64M (default 64M)
          --uploads-quota SIZE|off  most the uploads folder may hold, 507 beyond, e.g. 10G (default off)
          --file-cache SIZE       memory for hot small files, 0 for off (default 32M)
          --shutdown-grace SECONDS  how long a graceful shutdown waits (default 10)
          --access-log PATH|off   write the access log to a file (default: standard error, above the prompt)
          --log-format combined|json  access-log line format (default combined, as nginx)
          --metrics-path PATH|off Prometheus endpoint (default /metrics)
          --allowed-hosts A,B     Host names to answer, others get 421 (default: the bind address,
                                  localhost, 127.0.0.1, [::1]; any name when bound to 0.0.0.0 or ::; * for any)
          --trust-proxy CIDR      take the client address from X-Forwarded-For when the peer is in CIDR
                                  (repeatable)
          --control PATH|off      the control socket for 'httpsh attach' (default: $XDG_RUNTIME_DIR/httpsh/PORT.sock,
                                  else /run/httpsh/PORT.sock as root, /tmp/httpsh-UID/PORT.sock otherwise)
          --instance NAME         name this server's default control socket PORT-NAME.sock (several on one port)
          --reuse-port            let a new httpsh listen on the same port (SO_REUSEPORT) for an upgrade without
                                  downtime; the default control socket is then PORT-PID.sock unless --instance
          --no-shell              serve until SIGTERM or SIGINT, without a shell
          --serve                 after commands from stdin or -c, keep serving until a signal
          --config PATH           read settings (and blocked ranges) from a file 'config save' wrote;
                                  flags and environment variables win over it
      -c COMMANDS                 run shell commands (one per line, or separated by ; outside quotes), then
                                  shut down (unless --serve)
      -h, --help                  show this help
          --version               show the version
    """

    /// Parses `arguments` (without the program name) over `environment` and the settings file `--config` names.
    /// Precedence: flags > environment > file > defaults; `sources` records which one set each setting.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> Options {
        var options = Options()
        var config = ApplicationConfiguration()
        func set(_ name: String, _ text: String, from source: Setting.Source, label: String) throws(UsageError) {
            guard let setting = Settings.named(name) else { return }
            if let problem = setting.write(&config, text) { throw UsageError(description: "\(label): \(problem)") }
            options.sources[name] = source
        }

        if let path = settingsPath(arguments) {
            do throws(SettingsFile.Failure) {
                options.blocks = try SettingsFile.load(path, into: &config, sources: &options.sources)
            } catch {
                throw UsageError(description: error.description)
            }
            options.settingsPath = path
        }

        for (name, setting) in [("SERVER_HOST", "host"), ("SERVER_PORT", "port"), ("MAX_WORKERS", "workers"),
                                ("LOG_LEVEL", "log-level"), ("CLIENT_TIMEOUT", "header-timeout")] {
            if let text = environment[name], !text.isEmpty { try set(setting, text, from: .env, label: name) }
        }
        if let requests = environment["RATE_LIMIT_REQUESTS"], !requests.isEmpty {
            let window = environment["RATE_LIMIT_WINDOW"].flatMap { $0.isEmpty ? nil : $0 } ?? "1"
            try set("rate-limit", "\(requests)/\(window)", from: .env, label: "RATE_LIMIT_REQUESTS/RATE_LIMIT_WINDOW")
        }
        if let origins = environment["CORS_ORIGINS"], !origins.isEmpty {
            try set("cors", origins, from: .env, label: "CORS_ORIGINS")
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
            case "-p": try set("port", try next(), from: .flag, label: argument)
            case "-d": try set("root", try next(), from: .flag, label: argument)
            case "--config": _ = try next()
            case "--trust-proxy":
                let text = try next()
                guard let range = CIDR(text) else {
                    throw UsageError(description: "\(argument): '\(text)' is not an IP address or CIDR range")
                }
                config.trustedProxies.append(range)
            case "--control":
                let path = try next()
                guard !path.isEmpty else { throw UsageError(description: "\(argument) needs a path or off") }
                options.control = path == "off" ? .off : .path(path)
            case "--instance":
                let name = try next()
                guard ControlPath.isValidInstance(name) else {
                    throw UsageError(description: "\(argument): '\(name)' is not a name of 1-32 letters, digits, '.', '_', '-'")
                }
                options.instance = name
            case "--reuse-port": config.reusePort = true
            case "--no-shell": options.mode = .serveOnly
            case "--serve": options.serveAfterScript = true
            case "-c": options.commands = try next()
            case "-h", "--help": options.showHelp = true
            case "--version": options.showVersion = true
            default:
                guard argument.hasPrefix("--"), Settings.named(String(argument.dropFirst(2))) != nil else {
                    throw UsageError(description: "unknown option '\(arguments[index])' (see httpsh --help)")
                }
                try set(String(argument.dropFirst(2)), try next(), from: .flag, label: argument)
            }
            index += 1
        }
        options.configuration = config
        return options
    }

    /// The settings file named by `--config PATH` (or `--config=PATH`), read before everything else.
    private static func settingsPath(_ arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
        }
        return nil
    }
}
