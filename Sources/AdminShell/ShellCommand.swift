import HTTPServer

/// A line the operator typed, understood: a command for the server, or one the shell handles itself.
public enum ShellCommand: Equatable, Sendable {
    /// Send to the server; print the reply as JSON when `json`.
    case server(Command, json: Bool)
    /// Show the command list, or one command's help.
    case help(String?)
    /// Leave the shell (shuts the server down gracefully).
    case exit
    /// Stream the access-log lines `filter` matches until Ctrl-C (`log follow`).
    case followLog(LogFilter)
}

/// One shell command's syntax and meaning, for `help`, completion and hints.
public struct CommandInfo: Sendable {
    public let name: String
    public let syntax: String
    public let summary: String
    public let example: String

    /// The syntax without the command's own name (`N/SECONDS [burst B] | off`), for the argument hint.
    public var argumentSyntax: String {
        syntax.split(separator: " | ", omittingEmptySubsequences: true)
            .map { alternative in
                alternative.hasPrefix(name) ? alternative.dropFirst(name.count).drop { $0 == " " } : alternative[...]
            }
            .joined(separator: " | ")
    }

    /// Every command the shell knows, in the order `help` lists them.
    public static let all: [CommandInfo] = [
        CommandInfo(name: "help", syntax: "help [COMMAND]", summary: "List the commands, or explain one.",
                    example: "help ratelimit"),
        CommandInfo(name: "status", syntax: "status [--json]",
                    summary: "Uptime, URL, workers, traffic and live settings.",
                    example: "status --json"),
        CommandInfo(name: "stats", syntax: "stats [--json] | stats reset",
                    summary: "Requests by status class, bytes out, latency p50/p90/p99/max (last minute, since start).",
                    example: "stats"),
        CommandInfo(name: "slowlog", syntax: "slowlog [N] [--json] | slowlog reset",
                    summary: "The N slowest requests (default 10) since start or the last reset.",
                    example: "slowlog 5"),
        CommandInfo(name: "config",
                    syntax: "config [--json] | config get NAME | config set NAME VALUE | config save [PATH]",
                    summary: "Settings by flag name: value, source, live or at restart; save writes a --config file.",
                    example: "config set max-upload 256M"),
        CommandInfo(name: "connections", syntax: "connections [--json]",
                    summary: "Open connections: id, client, age, state, requests, bytes, current request.",
                    example: "connections"),
        CommandInfo(name: "kill", syntax: "kill ID", summary: "Close one connection (ID from 'connections').",
                    example: "kill 12"),
        CommandInfo(name: "drain", syntax: "drain on|off",
                    summary: "Make /readyz answer 503 so a balancer sends no new work; keep serving.",
                    example: "drain on"),
        CommandInfo(name: "top", syntax: "top [N] [--json]",
                    summary: "The busiest paths and clients over the last 10-20 seconds.",
                    example: "top 5"),
        CommandInfo(name: "workers", syntax: "workers N", summary: "Resize the worker pool live (\(ServerConfiguration.workerRange.lowerBound) to \(ServerConfiguration.workerRange.upperBound)).",
                    example: "workers 8"),
        CommandInfo(name: "ratelimit", syntax: "ratelimit N/SECONDS [burst B] | ratelimit off",
                    summary: "Limit each client to N requests per SECONDS (429).",
                    example: "ratelimit 10/1 burst 20"),
        CommandInfo(name: "dirlisting", syntax: "dirlisting on|off",
                    summary: "List folders without index.html (off: 403).", example: "dirlisting off"),
        CommandInfo(name: "precompressed", syntax: "precompressed on|off",
                    summary: "Serve x.br, x.zst or x.gz for x to clients that accept them.",
                    example: "precompressed off"),
        CommandInfo(name: "cors", syntax: "cors off|*|ORIGIN[,ORIGIN...]",
                    summary: "Which web origins may read responses from scripts (CORS).",
                    example: "cors https://app.example,http://localhost:3000"),
        CommandInfo(name: "loglevel", syntax: "loglevel debug|info|warning|error|none",
                    summary: "How much to log (info: one line per request).",
                    example: "loglevel warning"),
        CommandInfo(name: "counters", syntax: "counters [top N] [PATH-PREFIX] [--json] | counters reset",
                    summary: "Requests per path, most requested first.",
                    example: "counters top 5 /docs/"),
        CommandInfo(name: "uploads", syntax: "uploads [N|all] [--json] | uploads show NAME",
                    summary: "Uploaded files, newest first (50 unless N or all); show prints one.",
                    example: "uploads show upload_20261121_203000_a1b2c3.json"),
        CommandInfo(name: "block", syntax: "block IP|CIDR [for DURATION] [REASON]",
                    summary: "Refuse an address or range (403), for a while (30s, 10m, 2h) or until unblock.",
                    example: "block 203.0.113.0/24 for 10m scanner"),
        CommandInfo(name: "unblock", syntax: "unblock IP|CIDR", summary: "Remove a block.",
                    example: "unblock 203.0.113.0/24"),
        CommandInfo(name: "blocked", syntax: "blocked [--json]", summary: "The blocked addresses and ranges.",
                    example: "blocked"),
        CommandInfo(name: "events", syntax: "events [N] [client CIDR] [--json] | events top [N]",
                    summary: "Security events (traversal, smuggling, floods...), newest last; top ranks clients.",
                    example: "events 50 client 203.0.113.0/24"),
        CommandInfo(name: "autoblock", syntax: "autoblock N/SECONDS for DURATION | autoblock off",
                    summary: "Block a client with N security events in SECONDS for DURATION (default off).",
                    example: "autoblock 10/60 for 10m"),
        CommandInfo(name: "log", syntax: "log reopen | log follow [status 4xx|5xx|CODE] [path PREFIX] [client CIDR]",
                    summary: "Reopen the access-log file (after logrotate), or stream matching requests until Ctrl-C.",
                    example: "log follow status 5xx path /api/"),
        CommandInfo(name: "shutdown", syntax: "shutdown [--grace SECONDS] | shutdown now",
                    summary: "Finish in-flight requests, close the rest, exit.",
                    example: "shutdown --grace 5"),
        CommandInfo(name: "exit", syntax: "exit", summary: "Leave the shell; the server shuts down gracefully.",
                    example: "exit"),
    ]

    /// The info for a command name (or alias).
    public static func named(_ name: String) -> CommandInfo? {
        let canonical = CommandParser.canonicalName(name)
        return all.first { $0.name == canonical }
    }
}
