import HTTPServer

/// Parses one line of the shell language into a `ShellCommand`, or a one-line error saying what was wrong and
/// what is accepted.
public enum CommandParser {
    /// A line that is not a valid command.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Worker counts `workers` accepts: the pool's own bounds (the server refuses others too).
    static let workerRange = ServerConfiguration.workerRange
    /// The graces `shutdown --grace` accepts (`Command.shutdownGraceRange`), in seconds with a fraction.
    static let graceRange = Double(Command.shutdownGraceRange.lowerBound)...Double(Command.shutdownGraceRange.upperBound)

    /// Other names operators reach for.
    static let aliases = ["quit": "exit", "?": "help", "stop": "shutdown", "info": "status"]

    /// The longest block reason: one line of `blocked` in a terminal; a longer text is a paste gone wrong.
    static let maximumReasonLength = 200

    /// Parses `line`; nil for a blank line or a `#` comment. Quotes group words (`block 192.0.2.7 'a; b'`,
    /// `uploads show "my file.txt"`), and `--` ends the options.
    public static func parse(_ line: String) -> Result<ShellCommand, ParseError>? {
        guard let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, !first.hasPrefix("#") else {
            return nil
        }
        guard var words = ScriptText.words(line), !words.isEmpty else {
            return .failure(ParseError(description: "a quote is not closed: end it with the same quote mark"))
        }
        let name = canonicalName(words.removeFirst())
        // `--` ends the options, as in POSIX utilities: what follows is an argument even when it reads `--json`
        // (`uploads show -- --json` shows a file of that name).
        let end = words.firstIndex(of: "--") ?? words.endIndex
        let json = words[..<end].contains("--json")
        words = words[..<end].filter { $0 != "--json" } + words[min(end + 1, words.endIndex)...]
        do throws(ParseError) {
            if json, name == "help" || name == "exit" {
                throw ParseError(description: "\(name): --json is only for commands that ask the server something")
            }
            return .success(try command(name, words, json: json))
        } catch {
            return .failure(error)
        }
    }

    /// The command a word names: itself lower-cased, or the command an alias stands for.
    public static func canonicalName(_ word: String) -> String {
        let lowered = word.lowercased()
        return aliases[lowered] ?? lowered
    }

    private static func command(_ name: String, _ args: [String], json: Bool) throws(ParseError) -> ShellCommand {
        func usage(_ detail: String) -> ParseError {
            ParseError(description: "\(name): \(detail); usage: \(CommandInfo.named(name)?.syntax ?? name)")
        }
        func noArguments() throws(ParseError) {
            if !args.isEmpty { throw usage("unexpected '\(args[0])'") }
        }
        /// Words after the last one the command takes are named as such, not mistaken for a missing argument.
        func nothingAfter(_ count: Int, _ what: String) throws(ParseError) {
            if args.count > count { throw usage("unexpected '\(args[count])' after \(what)") }
        }
        switch name {
        case "help":
            try nothingAfter(1, "the command name")
            if let topic = args.first, CommandInfo.named(topic.lowercased()) == nil {
                throw ParseError(description: "help: no command '\(topic)'; type 'help' for the list")
            }
            return .help(args.first?.lowercased())
        case "exit":
            try noArguments()
            return .exit
        case "status":
            try noArguments()
            return .server(.status, json: json)
        case "stats":
            if args.first == "reset" {
                try nothingAfter(1, "reset")
                return .server(.resetStats, json: json)
            }
            try noArguments()
            return .server(.stats, json: json)
        case "slowlog":
            if args.first == "reset" {
                try nothingAfter(1, "reset")
                return .server(.resetSlowlog, json: json)
            }
            try nothingAfter(1, "the number")
            guard let count = args.first.map({ Int($0) }) ?? 10, (1...SlowRequest.kept).contains(count) else {
                throw usage("'\(args[0])' is not a number from 1 to \(SlowRequest.kept)")
            }
            return .server(.slowlog(count: count), json: json)
        case "config":
            return .server(try config(args, usage), json: json)
        case "connections":
            try noArguments()
            return .server(.connections, json: json)
        case "kill":
            guard let first = args.first else { throw usage("give a connection id (see 'connections')") }
            try nothingAfter(1, "the id")
            guard let id = Int(first), id >= 1 else { throw usage("'\(first)' is not a connection id") }
            return .server(.kill(connection: id), json: json)
        case "drain":
            guard !args.isEmpty else { throw usage("say on or off") }
            try nothingAfter(1, "on or off")
            guard let on = onOff(args[0]) else { throw usage("say on or off") }
            return .server(.drain(on), json: json)
        case "top":
            try nothingAfter(1, "the number")
            guard let count = args.first.map({ Int($0) }) ?? 10, (1...1000).contains(count) else {
                throw usage("'\(args[0])' is not a number from 1 to 1000")
            }
            return .server(.top(count: count), json: json)
        case "workers":
            guard !args.isEmpty else { throw usage("give the number of workers") }
            try nothingAfter(1, "the number")
            guard let count = Int(args[0]), workerRange.contains(count) else {
                throw usage("'\(args[0])' is not a number from \(workerRange.lowerBound) to \(workerRange.upperBound)")
            }
            return .server(.setWorkers(count), json: json)
        case "ratelimit":
            return .server(.setRateLimit(try rateLimit(args, usage)), json: json)
        case "precompressed":
            try nothingAfter(1, "on or off")
            guard args.count == 1, let on = onOff(args[0]) else { throw usage("say on or off") }
            return .server(.setPrecompressed(on), json: json)
        case "dirlisting":
            try nothingAfter(1, "on or off")
            guard args.count == 1, let on = onOff(args[0]) else { throw usage("say on or off") }
            return .server(.setDirectoryListing(on), json: json)
        case "cors":
            guard args.count == 1 else { throw usage("give off, * or origins separated by commas") }
            if args[0].lowercased() == "off" { return .server(.setCORS(nil), json: json) }
            guard let origins = CORSMiddleware.AllowedOrigins(parsing: args[0]) else {
                throw usage("'\(args[0])' is not off, * or origins such as https://app.example,http://localhost:3000")
            }
            return .server(.setCORS(origins), json: json)
        case "loglevel":
            guard !args.isEmpty else { throw usage("give a level") }
            try nothingAfter(1, "the level")
            guard let level = LogLevel(name: args[0]) else {
                throw usage("'\(args[0])' is not a level (debug, info, warning, error, none)")
            }
            return .server(.setLogLevel(level), json: json)
        case "counters":
            return .server(try counters(args, usage), json: json)
        case "uploads":
            // The newest 50 by default: a folder of thousands would flood the terminal.
            if args.isEmpty { return .server(.uploads(limit: 50), json: json) }
            if args == ["all"] { return .server(.uploads(limit: nil), json: json) }
            if args.count == 1, let count = Int(args[0]) {
                guard count >= 1 else { throw usage("the number must be at least 1") }
                return .server(.uploads(limit: count), json: json)
            }
            guard args[0] == "show" else { throw usage("unexpected '\(args[0])'") }
            guard args.count >= 2 else { throw usage("give one upload name") }
            try nothingAfter(2, "the upload name")
            return .server(.showUpload(name: args[1]), json: json)
        case "block":
            guard let first = args.first else { throw usage("give an IP address or CIDR range") }
            guard let range = CIDR(first) else {
                throw usage("'\(first)' is not an IP address or CIDR range such as 203.0.113.7 or 2001:db8::/32")
            }
            var rest = args.dropFirst()
            var seconds: Int?
            if rest.first == "for" {
                guard rest.count >= 2 else { throw usage("'for' needs a duration such as 30s, 10m or 2h") }
                seconds = try duration(rest[rest.startIndex + 1], usage)
                rest = rest.dropFirst(2)
            }
            let reason = rest.joined(separator: " ")
            guard reason.count <= maximumReasonLength else {
                throw usage("the reason is \(reason.count) characters; at most \(maximumReasonLength)")
            }
            return .server(.block(range, reason: reason.isEmpty ? "blocked by operator" : reason, seconds: seconds),
                           json: json)
        case "unblock":
            guard !args.isEmpty else { throw usage("give one IP address or CIDR range") }
            try nothingAfter(1, "the address")
            guard let range = CIDR(args[0]) else { throw usage("'\(args[0])' is not an IP address or CIDR range") }
            return .server(.unblock(range), json: json)
        case "events":
            return .server(try events(args, usage), json: json)
        case "autoblock":
            return .server(.setAutoblock(try autoblock(args, usage)), json: json)
        case "blocked":
            try noArguments()
            return .server(.blocked, json: json)
        case "log":
            if args.first == "follow" {
                if json { throw usage("follow prints access-log lines as they are (--log-format json for JSON)") }
                return .followLog(try logFilter(args.dropFirst(), usage))
            }
            guard args == ["reopen"] else { throw usage("expected 'log reopen' or 'log follow'") }
            return .server(.reopenLogs, json: json)
        case "shutdown":
            if args.isEmpty { return .server(.shutdown(graceSeconds: nil), json: json) }
            if args == ["now"] { return .server(.shutdown(graceSeconds: 0), json: json) }
            guard args.count == 2, args[0] == "--grace", let seconds = Double(args[1]), graceRange.contains(seconds)
            else {
                throw usage("expected 'now' or '--grace SECONDS' (\(Command.shutdownGraceRange.lowerBound) to "
                    + "\(Command.shutdownGraceRange.upperBound))")
            }
            return .server(.shutdown(graceSeconds: seconds), json: json)
        default:
            let guess = suggestion(for: name).map { "did you mean '\($0)'? " } ?? ""
            throw ParseError(description: "unknown command '\(name)'; \(guess)type 'help' for the list")
        }
    }

    /// `config`, `config get NAME`, `config set NAME VALUE…`, `config save [PATH]`.
    private static func config(_ args: [String], _ usage: (String) -> ParseError) throws(ParseError) -> Command {
        guard let verb = args.first else { return .config }
        switch verb {
        case "get":
            guard args.count >= 2 else { throw usage("give a setting name (see 'config')") }
            if args.count > 2 { throw usage("unexpected '\(args[2])' after the name") }
            return .configGet(args[1])
        case "set":
            guard args.count >= 3 else { throw usage("give a setting name and its value, as the flag takes it") }
            // The value may have words of its own: `config set rate-limit 10/1 burst 20`.
            return .configSet(args[1], args.dropFirst(2).joined(separator: " "))
        case "save":
            if args.count > 2 { throw usage("unexpected '\(args[2])' after the path") }
            return .configSave(path: args.count == 2 ? args[1] : nil)
        default:
            throw usage("unexpected '\(verb)'; say get, set or save")
        }
    }

    /// The longest timed block: 30 days. Longer is a permanent block (no `for`), which `unblock` lifts.
    static let maximumBlockSeconds = 30 * 86_400

    /// `30s`, `10m`, `2h`, `7d`; a bare number is seconds.
    static func duration(_ text: String, _ usage: (String) -> ParseError) throws(ParseError) -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text.lowercased())
        var unit = 1
        if let last = digits.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value >= 1, value <= maximumBlockSeconds / unit else {
            throw usage("'\(text)' is not a duration from 1s to 30d (such as 30s, 10m, 2h)")
        }
        return value * unit
    }

    /// `events [N] [client CIDR]` and `events top [N]`.
    private static func events(_ args: [String], _ usage: (String) -> ParseError) throws(ParseError) -> Command {
        func count(_ word: String) throws(ParseError) -> Int {
            guard let value = Int(word), (1...SecurityJournal.defaultCapacity).contains(value) else {
                throw usage("'\(word)' is not a number from 1 to \(SecurityJournal.defaultCapacity)")
            }
            return value
        }
        if args.first == "top" {
            guard args.count <= 2 else { throw usage("give at most one number after top") }
            return .securityTop(count: try args.dropFirst().first.map(count) ?? 10)
        }
        // The newest 20 by default: a screenful.
        var limit = 20
        var client: CIDR?
        var rest = args[...]
        if let first = rest.first, first != "client" {
            limit = try count(first)
            rest = rest.dropFirst()
        }
        if let word = rest.first {
            guard word == "client", rest.count == 2 else { throw usage("unexpected '\(word)'") }
            guard let range = CIDR(rest[rest.startIndex + 1]) else {
                throw usage("'\(rest[rest.startIndex + 1])' is not an IP address or CIDR range")
            }
            client = range
        }
        return .securityEvents(limit: limit, client: client)
    }

    /// `autoblock N/SECONDS for DURATION` or `autoblock off`.
    private static func autoblock(_ args: [String], _ usage: (String) -> ParseError) throws(ParseError) -> AutoblockRule? {
        if args == ["off"] { return nil }
        guard args.count == 3, args[1] == "for" else { throw usage("expected N/SECONDS for DURATION, or off") }
        let parts = args[0].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let events = Int(parts[0]), events >= 1 else {
            throw usage("'\(args[0])' is not N/SECONDS with N ≥ 1 (e.g. 10/60, 20/5m)")
        }
        let window = try duration(String(parts[1]), usage)
        return AutoblockRule(events: events, windowSeconds: window, blockSeconds: try duration(args[2], usage))
    }

    private static func rateLimit(_ args: [String], _ usage: (String) -> ParseError) throws(ParseError) -> RateLimit? {
        guard let first = args.first else { throw usage("give a limit such as 10/1, or off") }
        if first == "off" {
            guard args.count == 1 else { throw usage("nothing may follow 'off'") }
            return nil
        }
        var burst: Int?
        if args.count == 3, args[1] == "burst" {
            guard let value = Int(args[2]), value >= 1 else {
                throw usage("burst must be a whole number of at least 1")
            }
            burst = value
        } else if args.count != 1 {
            throw usage("expected N/SECONDS [burst B]")
        }
        guard let limit = RateLimit(parsing: first, burst: burst) else {
            let longest = Int(RateLimit.maximumWindowSeconds)
            throw usage("'\(first)' is not N/SECONDS with N ≥ 1 and 0 < SECONDS ≤ \(longest) (e.g. 10/1, 100/60)")
        }
        return limit
    }

    private static func counters(_ args: [String], _ usage: (String) -> ParseError) throws(ParseError) -> Command {
        if args.first == "reset" {
            guard args.count == 1 else { throw usage("nothing may follow 'reset'") }
            return .resetCounters
        }
        var top: Int?
        var prefix: String?
        var rest = args[...]
        while let word = rest.first {
            rest = rest.dropFirst()
            if word == "top" {
                guard let next = rest.first, let count = Int(next), count >= 1 else {
                    throw usage("top needs a number of at least 1")
                }
                top = count
                rest = rest.dropFirst()
            } else if word.hasPrefix("/"), prefix == nil {
                prefix = word
            } else {
                throw usage("unexpected '\(word)' (a path prefix starts with /)")
            }
        }
        return .counters(top: top, prefix: prefix)
    }

    /// `[status 4xx|5xx|CODE] [path PREFIX] [client CIDR]`, each at most once, in any order.
    private static func logFilter(_ args: ArraySlice<String>, _ usage: (String) -> ParseError) throws(ParseError)
        -> LogFilter {
        var filter = LogFilter()
        var rest = args
        while let word = rest.first {
            rest = rest.dropFirst()
            guard let value = rest.first else { throw usage("'\(word)' needs a value") }
            rest = rest.dropFirst()
            switch word {
            case "status" where filter.status == nil:
                guard let status = LogFilter.statusMatch(value) else {
                    throw usage("'\(value)' is not a status class such as 4xx or a status such as 404")
                }
                filter.status = status
            case "path" where filter.pathPrefix == nil:
                guard value.hasPrefix("/") else { throw usage("'\(value)' is not a path prefix (it starts with /)") }
                filter.pathPrefix = value
            case "client" where filter.client == nil:
                guard let range = CIDR(value) else { throw usage("'\(value)' is not an IP address or CIDR range") }
                filter.client = range
            default:
                throw usage("unexpected '\(word)' (status, path and client, each once)")
            }
        }
        return filter
    }

    /// The command a mistyped name most likely meant: one it starts, or one at most two edits away (a swap of
    /// two neighbours is one edit, so `stauts` is `status`); on a tie, the one of the same length.
    static func suggestion(for name: String) -> String? {
        let names = CommandInfo.all.map(\.name)
        let started = names.filter { $0.hasPrefix(name) }
        if started.count == 1 { return started[0] }
        let scored = names.map { ($0, editDistance(name, $0), abs($0.count - name.count)) }.filter { $0.1 <= 2 }
        return scored.min { ($0.1, $0.2) < ($1.1, $1.2) }?.0
    }

    /// Edit distance between two short words: insertions, deletions, substitutions and swaps of neighbours
    /// (optimal string alignment).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var rows = [Array(0...b.count)]
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    row[j] = min(row[j], rows[i - 2][j - 2] + 1)
                }
            }
            rows.append(row)
        }
        return rows[a.count][b.count]
    }

    private static func onOff(_ word: String) -> Bool? {
        switch word.lowercased() {
        case "on", "enabled", "true", "yes", "1": true
        case "off", "disabled", "false", "no", "0": false
        default: nil
        }
    }
}
