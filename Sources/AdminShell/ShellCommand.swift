import HTTPServer

/// A line the operator typed, understood: a command for the server, or one the shell handles itself.
public enum ShellCommand: Equatable, Sendable {
    /// Send to the server; print the reply as JSON when `json`.
    case server(Command, json: Bool)
    /// Show the command list, or one command's help.
    case help(String?)
    /// Leave the shell (shuts the server down gracefully).
    case exit
}

/// One shell command's syntax and meaning, for `help`, completion and hints.
public struct CommandInfo: Sendable {
    public let name: String
    public let syntax: String
    public let summary: String
    public let example: String
    /// Words that may follow the name, for Tab completion.
    public let arguments: [String]

    /// Every command the shell knows, in the order `help` lists them.
    public static let all: [CommandInfo] = [
        CommandInfo(name: "help", syntax: "help [COMMAND]", summary: "List the commands, or explain one.",
                    example: "help ratelimit", arguments: []),
        CommandInfo(name: "status", syntax: "status [--json]",
                    summary: "Uptime, URL, workers, connections, requests, rate limit, listing, log level, blocks.",
                    example: "status --json", arguments: ["--json"]),
        CommandInfo(name: "workers", syntax: "workers N", summary: "Resize the worker pool live (1 to 256).",
                    example: "workers 8", arguments: []),
        CommandInfo(name: "ratelimit", syntax: "ratelimit N/SECONDS [burst B] | ratelimit off",
                    summary: "Limit each client address to N requests per SECONDS (429 beyond), or turn it off.",
                    example: "ratelimit 10/1 burst 20", arguments: ["off", "10/1", "100/60"]),
        CommandInfo(name: "dirlisting", syntax: "dirlisting on|off",
                    summary: "List folders without index.html (off: 403).", example: "dirlisting off",
                    arguments: ["on", "off"]),
        CommandInfo(name: "loglevel", syntax: "loglevel debug|info|warning|error|none",
                    summary: "Change how much the server logs (info includes one access line per request).",
                    example: "loglevel warning", arguments: LogLevel.allCases.map(\.description)),
        CommandInfo(name: "counters", syntax: "counters [top N] [PATH-PREFIX] [--json] | counters reset",
                    summary: "Requests per path, most requested first; reset clears them.",
                    example: "counters top 5 /docs/", arguments: ["top", "reset", "--json"]),
        CommandInfo(name: "uploads", syntax: "uploads [--json] | uploads show NAME",
                    summary: "Files in the uploads folder, newest first; show prints a small one.",
                    example: "uploads show upload_20261121_203000_a1b2c3.json", arguments: ["show", "--json"]),
        CommandInfo(name: "block", syntax: "block IP|CIDR [REASON]",
                    summary: "Refuse a client address or range; its open connections are closed.",
                    example: "block 203.0.113.0/24 scanner", arguments: []),
        CommandInfo(name: "unblock", syntax: "unblock IP|CIDR", summary: "Remove a block.",
                    example: "unblock 203.0.113.0/24", arguments: []),
        CommandInfo(name: "blocked", syntax: "blocked [--json]", summary: "The blocked addresses and ranges.",
                    example: "blocked", arguments: ["--json"]),
        CommandInfo(name: "log", syntax: "log reopen", summary: "Reopen the access-log file (after logrotate).",
                    example: "log reopen", arguments: ["reopen"]),
        CommandInfo(name: "shutdown", syntax: "shutdown [--grace SECONDS] | shutdown now",
                    summary: "Stop accepting, finish in-flight requests, close idle connections, exit.",
                    example: "shutdown --grace 5", arguments: ["--grace", "now"]),
        CommandInfo(name: "exit", syntax: "exit", summary: "Leave the shell; the server shuts down gracefully.",
                    example: "exit", arguments: []),
    ]

    /// The info for a command name (or alias).
    public static func named(_ name: String) -> CommandInfo? {
        let canonical = CommandParser.aliases[name] ?? name
        return all.first { $0.name == canonical }
    }
}
