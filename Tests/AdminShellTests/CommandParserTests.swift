@testable import AdminShell
import HTTPServer
import Testing

@Suite struct CommandParserTests {
    private func parsed(_ line: String) -> ShellCommand? {
        guard case .success(let command)? = CommandParser.parse(line) else { return nil }
        return command
    }

    private func error(_ line: String) -> String? {
        guard case .failure(let error)? = CommandParser.parse(line) else { return nil }
        return error.description
    }

    @Test(arguments: ["", "   ", "\t", "# a comment", "   # indented comment", "#status"])
    func blankLinesAndComments_AreSkipped(line: String) {
        #expect(CommandParser.parse(line) == nil)
    }

    @Test func uploadsShow_takesQuotedNamesAndNamesAfterDoubleDash() {
        let cases: [(String, ShellCommand)] = [
            ("uploads show \"my file.txt\"", .server(.showUpload(name: "my file.txt"), json: false)),
            ("uploads show 'my  file.txt'", .server(.showUpload(name: "my  file.txt"), json: false)),
            ("uploads show \"it's here; really.txt\" --json",
             .server(.showUpload(name: "it's here; really.txt"), json: true)),
            ("uploads show -- --json", .server(.showUpload(name: "--json"), json: false)),
            ("uploads show --json -- --json", .server(.showUpload(name: "--json"), json: true)),
            ("uploads show -- --", .server(.showUpload(name: "--"), json: false)),
        ]
        for (line, command) in cases {
            #expect(parsed(line) == command, "\(line)")
        }
        #expect(error("uploads show my file.txt")
            == "uploads: unexpected 'file.txt' after the upload name; usage: uploads [N|all] [--json] | uploads show NAME")
    }

    @Test func everyCommand_ParsesItsGoodForms() throws {
        let cases: [(String, ShellCommand)] = [
            ("help", .help(nil)),
            ("help ratelimit", .help("ratelimit")),
            ("HELP Workers", .help("workers")),
            ("? status", .help("status")),
            ("status", .server(.status, json: false)),
            ("stats --json", .server(.stats, json: true)),
            ("top", .server(.top(count: 10), json: false)),
            ("top 3", .server(.top(count: 3), json: false)),
            ("status --json", .server(.status, json: true)),
            ("  status  ", .server(.status, json: false)),
            ("info", .server(.status, json: false)),
            ("workers 8", .server(.setWorkers(8), json: false)),
            ("workers 1", .server(.setWorkers(1), json: false)),
            ("workers 256", .server(.setWorkers(256), json: false)),
            ("ratelimit 5/1", .server(.setRateLimit(RateLimit(requests: 5, seconds: 1)), json: false)),
            ("ratelimit 100/60 burst 20",
             .server(.setRateLimit(RateLimit(requests: 100, seconds: 60, burst: 20)), json: false)),
            ("ratelimit 10/m", .server(.setRateLimit(RateLimit(requests: 10, seconds: 60)), json: false)),
            ("ratelimit off", .server(.setRateLimit(nil), json: false)),
            ("dirlisting on", .server(.setDirectoryListing(true), json: false)),
            ("dirlisting OFF", .server(.setDirectoryListing(false), json: false)),
            ("dirlisting disabled", .server(.setDirectoryListing(false), json: false)),
            ("precompressed off", .server(.setPrecompressed(false), json: false)),
            ("precompressed on", .server(.setPrecompressed(true), json: false)),
            ("cors off", .server(.setCORS(nil), json: false)),
            ("cors *", .server(.setCORS(.any), json: false)),
            ("cors https://a.example,http://localhost:3000",
             .server(.setCORS(.list(["https://a.example", "http://localhost:3000"])), json: false)),
            ("loglevel debug", .server(.setLogLevel(.debug), json: false)),
            ("loglevel warn", .server(.setLogLevel(.warning), json: false)),
            ("loglevel none", .server(.setLogLevel(.none), json: false)),
            ("counters", .server(.counters(top: nil, prefix: nil), json: false)),
            ("counters top 5", .server(.counters(top: 5, prefix: nil), json: false)),
            ("counters /docs/", .server(.counters(top: nil, prefix: "/docs/"), json: false)),
            ("counters top 3 /docs/ --json", .server(.counters(top: 3, prefix: "/docs/"), json: true)),
            ("counters /docs/ top 3", .server(.counters(top: 3, prefix: "/docs/"), json: false)),
            ("counters reset", .server(.resetCounters, json: false)),
            ("stats reset", .server(.resetStats, json: false)),
            ("slowlog", .server(.slowlog(count: 10), json: false)),
            ("slowlog 3 --json", .server(.slowlog(count: 3), json: true)),
            ("slowlog reset", .server(.resetSlowlog, json: false)),
            ("connections --json", .server(.connections, json: true)),
            ("kill 12", .server(.kill(connection: 12), json: false)),
            ("drain on", .server(.drain(true), json: false)),
            ("drain off", .server(.drain(false), json: false)),
            ("block 203.0.113.7 for 10m scanner",
             .server(.block(try #require(CIDR("203.0.113.7")), reason: "scanner", seconds: 600), json: false)),
            ("block 203.0.113.7 for 2h",
             .server(.block(try #require(CIDR("203.0.113.7")), reason: "blocked by operator", seconds: 7200),
                     json: false)),
            ("block 203.0.113.7 for 30s",
             .server(.block(try #require(CIDR("203.0.113.7")), reason: "blocked by operator", seconds: 30),
                     json: false)),
            ("uploads", .server(.uploads(limit: 50), json: false)),
            ("uploads --json", .server(.uploads(limit: 50), json: true)),
            ("uploads 5", .server(.uploads(limit: 5), json: false)),
            ("uploads all", .server(.uploads(limit: nil), json: false)),
            ("uploads show note.json", .server(.showUpload(name: "note.json"), json: false)),
            ("block 203.0.113.7", .server(.block(try #require(CIDR("203.0.113.7")), reason: "blocked by operator"),
                                          json: false)),
            ("block 203.0.113.0/24 noisy scanner",
             .server(.block(try #require(CIDR("203.0.113.0/24")), reason: "noisy scanner"), json: false)),
            ("block 203.0.113.7 \"bad; bot\"  'x  y'",
             .server(.block(try #require(CIDR("203.0.113.7")), reason: "bad; bot x  y"), json: false)),
            ("block 2001:db8::/32", .server(.block(try #require(CIDR("2001:db8::/32")), reason: "blocked by operator"),
                                            json: false)),
            ("unblock 203.0.113.0/24", .server(.unblock(try #require(CIDR("203.0.113.0/24"))), json: false)),
            ("blocked", .server(.blocked, json: false)),
            ("blocked --json", .server(.blocked, json: true)),
            ("events", .server(.securityEvents(limit: 20, client: nil), json: false)),
            ("events 50 --json", .server(.securityEvents(limit: 50, client: nil), json: true)),
            ("events client 10.0.0.0/8", .server(.securityEvents(limit: 20, client: CIDR("10.0.0.0/8")), json: false)),
            ("events 5 client ::1", .server(.securityEvents(limit: 5, client: CIDR("::1")), json: false)),
            ("events top", .server(.securityTop(count: 10), json: false)),
            ("events top 3", .server(.securityTop(count: 3), json: false)),
            ("autoblock 10/60 for 10m", .server(.setAutoblock(AutoblockRule(events: 10, windowSeconds: 60,
                                                                            blockSeconds: 600)), json: false)),
            ("autoblock 5/1m for 2h", .server(.setAutoblock(AutoblockRule(events: 5, windowSeconds: 60,
                                                                          blockSeconds: 7200)), json: false)),
            ("autoblock off", .server(.setAutoblock(nil), json: false)),
            ("log reopen", .server(.reopenLogs, json: false)),
            ("shutdown", .server(.shutdown(graceSeconds: nil), json: false)),
            ("shutdown now", .server(.shutdown(graceSeconds: 0), json: false)),
            ("shutdown --grace 5", .server(.shutdown(graceSeconds: 5), json: false)),
            ("stop", .server(.shutdown(graceSeconds: nil), json: false)),
            ("exit", .exit),
            ("quit", .exit),
        ]
        for (line, expected) in cases {
            #expect(parsed(line) == expected, "\(line)")
        }
    }

    @Test func badForms_SayWhatWasWrongAndWhatIsAccepted() {
        let cases: [(String, String)] = [
            ("statuss", "unknown command 'statuss'; did you mean 'status'? type 'help' for the list"),
            ("frobnicate", "unknown command 'frobnicate'; type 'help' for the list"),
            ("ratel 5/1", "unknown command 'ratel'; did you mean 'ratelimit'? type 'help' for the list"),
            ("help nothing", "help: no command 'nothing'; type 'help' for the list"),
            ("help a b", "help: unexpected 'b' after the command name; usage: help [COMMAND]"),
            ("help --json", "help: --json is only for commands that ask the server something"),
            ("exit now", "exit: unexpected 'now'; usage: exit"),
            ("status please", "status: unexpected 'please'; usage: status [--json]"),
            ("workers", "workers: give the number of workers; usage: workers N"),
            ("workers 0", "workers: '0' is not a number from 1 to 256; usage: workers N"),
            ("workers 257", "workers: '257' is not a number from 1 to 256; usage: workers N"),
            ("workers many", "workers: 'many' is not a number from 1 to 256; usage: workers N"),
            ("workers 2 3", "workers: unexpected '3' after the number; usage: workers N"),
            ("workers 4 please", "workers: unexpected 'please' after the number; usage: workers N"),
            ("dirlisting on now", "dirlisting: unexpected 'now' after on or off; usage: dirlisting on|off"),
            ("unblock 10.0.0.1 10.0.0.2", "unblock: unexpected '10.0.0.2' after the address; usage: unblock IP|CIDR"),
            ("block 10.0.0.1 for", "block: 'for' needs a duration such as 30s, 10m or 2h; "
                + "usage: block IP|CIDR [for DURATION] [REASON]"),
            ("block 10.0.0.1 for ever", "block: 'ever' is not a duration from 1s to 30d (such as 30s, 10m, 2h); "
                + "usage: block IP|CIDR [for DURATION] [REASON]"),
            ("kill x", "kill: 'x' is not a connection id; usage: kill ID"),
            ("drain maybe", "drain: say on or off; usage: drain on|off"),
            ("slowlog 0", "slowlog: '0' is not a number from 1 to 32; usage: slowlog [N] [--json] | slowlog reset"),
            ("stats reset now", "stats: unexpected 'now' after reset; usage: stats [--json] | stats reset"),
            ("stauts", "unknown command 'stauts'; did you mean 'status'? type 'help' for the list"),
            ("block 10.0.0.1 \(String(repeating: "x", count: 201))",
             "block: the reason is 201 characters; at most 200; usage: block IP|CIDR [for DURATION] [REASON]"),
            ("block 10.0.0.1 'unclosed", "a quote is not closed: end it with the same quote mark"),
            ("ratelimit", "ratelimit: give a limit such as 10/1, or off; "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("ratelimit 5", "ratelimit: '5' is not N/SECONDS with N ≥ 1 and 0 < SECONDS ≤ 86400 (e.g. 10/1, 100/60); "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("ratelimit 0/1", "ratelimit: '0/1' is not N/SECONDS with N ≥ 1 and 0 < SECONDS ≤ 86400 (e.g. 10/1, 100/60); "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("ratelimit 5/1 burst 0", "ratelimit: burst must be a whole number of at least 1; "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("ratelimit 5/1 20", "ratelimit: expected N/SECONDS [burst B]; "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("ratelimit off now", "ratelimit: nothing may follow 'off'; "
                + "usage: ratelimit N/SECONDS [burst B] | ratelimit off"),
            ("dirlisting", "dirlisting: say on or off; usage: dirlisting on|off"),
            ("dirlisting maybe", "dirlisting: say on or off; usage: dirlisting on|off"),
            ("precompressed maybe", "precompressed: say on or off; usage: precompressed on|off"),
            ("cors", "cors: give off, * or origins separated by commas; usage: cors off|*|ORIGIN[,ORIGIN...]"),
            ("cors a.example", "cors: 'a.example' is not off, * or origins such as https://app.example,"
                + "http://localhost:3000; usage: cors off|*|ORIGIN[,ORIGIN...]"),
            ("loglevel", "loglevel: give a level; usage: loglevel debug|info|warning|error|none"),
            ("loglevel loud", "loglevel: 'loud' is not a level (debug, info, warning, error, none); "
                + "usage: loglevel debug|info|warning|error|none"),
            ("counters top", "counters: top needs a number of at least 1; "
                + "usage: counters [top N] [PATH-PREFIX] [--json] | counters reset"),
            ("counters top 0", "counters: top needs a number of at least 1; "
                + "usage: counters [top N] [PATH-PREFIX] [--json] | counters reset"),
            ("counters docs", "counters: unexpected 'docs' (a path prefix starts with /); "
                + "usage: counters [top N] [PATH-PREFIX] [--json] | counters reset"),
            ("counters reset all", "counters: nothing may follow 'reset'; "
                + "usage: counters [top N] [PATH-PREFIX] [--json] | counters reset"),
            ("uploads list", "uploads: unexpected 'list'; usage: uploads [N|all] [--json] | uploads show NAME"),
            ("uploads show", "uploads: give one upload name; usage: uploads [N|all] [--json] | uploads show NAME"),
            ("block", "block: give an IP address or CIDR range; usage: block IP|CIDR [for DURATION] [REASON]"),
            ("block example.com", "block: 'example.com' is not an IP address or CIDR range such as 203.0.113.7 "
                + "or 2001:db8::/32; usage: block IP|CIDR [for DURATION] [REASON]"),
            ("block 10.0.0.0/33", "block: '10.0.0.0/33' is not an IP address or CIDR range such as 203.0.113.7 "
                + "or 2001:db8::/32; usage: block IP|CIDR [for DURATION] [REASON]"),
            ("unblock", "unblock: give one IP address or CIDR range; usage: unblock IP|CIDR"),
            ("unblock 1.2.3", "unblock: '1.2.3' is not an IP address or CIDR range; usage: unblock IP|CIDR"),
            ("blocked all", "blocked: unexpected 'all'; usage: blocked [--json]"),
            ("events 0", "events: '0' is not a number from 1 to 10000; "
                + "usage: events [N] [client CIDR] [--json] | events top [N]"),
            ("events client", "events: unexpected 'client'; usage: events [N] [client CIDR] [--json] | events top [N]"),
            ("events client nowhere", "events: 'nowhere' is not an IP address or CIDR range; "
                + "usage: events [N] [client CIDR] [--json] | events top [N]"),
            ("autoblock", "autoblock: expected N/SECONDS for DURATION, or off; "
                + "usage: autoblock N/SECONDS for DURATION | autoblock off"),
            ("autoblock 0/60 for 1m", "autoblock: '0/60' is not N/SECONDS with N ≥ 1 (e.g. 10/60, 20/5m); "
                + "usage: autoblock N/SECONDS for DURATION | autoblock off"),
            ("autoblock 5/60 for ever", "autoblock: 'ever' is not a duration from 1s to 30d (such as 30s, 10m, 2h); "
                + "usage: autoblock N/SECONDS for DURATION | autoblock off"),
            ("log", "log: expected 'log reopen' or 'log follow'; "
                + "usage: log reopen | log follow [status 4xx|5xx|CODE] [path PREFIX] [client CIDR]"),
            ("shutdown later", "shutdown: expected 'now' or '--grace SECONDS' (0 to 3600); "
                + "usage: shutdown [--grace SECONDS] | shutdown now"),
            ("shutdown --grace", "shutdown: expected 'now' or '--grace SECONDS' (0 to 3600); "
                + "usage: shutdown [--grace SECONDS] | shutdown now"),
            ("shutdown --grace 7200", "shutdown: expected 'now' or '--grace SECONDS' (0 to 3600); "
                + "usage: shutdown [--grace SECONDS] | shutdown now"),
        ]
        for (line, expected) in cases {
            #expect(error(line) == expected, "\(line)")
        }
    }

    @Test func scriptStatements_SplitAtNewlinesAndSemicolonsOutsideQuotes() {
        #expect(ScriptText.statements("status; block 10.0.0.1 'a; b'\nblocked\n\n") ==
            ["status", " block 10.0.0.1 'a; b'", "blocked"])
        #expect(ScriptText.statements("block 10.0.0.1 \"x;y\";top") == ["block 10.0.0.1 \"x;y\"", "top"])
    }

    @Test func errors_AreOneLine() {
        for line in ["workers x", "ratelimit 5", "nope", "block x", "counters reset all"] {
            #expect(error(line)?.contains("\n") == false, "\(line)")
        }
    }

    @Test func everyCommandInTheTable_IsListedByHelpAndParsesItsExample() {
        let list = HelpText.render(nil, width: 400)
        for info in CommandInfo.all {
            #expect(list.contains("  \(info.name)"), "\(info.name)")
            #expect(list.contains(info.summary), "\(info.name)")
            #expect(HelpText.render(info.name).contains("example: \(info.example)"), "\(info.name)")
            #expect(parsed(info.example) != nil, "example of \(info.name): \(info.example)")
        }
    }

    @Test func help_FitsTheTerminalWidth_WithoutBreakingWords() {
        let words = { (text: String) in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) }
        let wide = words(HelpText.render(nil, width: 400))
        for width in [40, 60, 80, 120] {
            let text = HelpText.render(nil, width: width)
            for line in text.split(separator: "\n") where line.count > width {
                #expect(words(String(line)).count == 1 || line.hasPrefix("  ") && !line.dropFirst(2).contains("  "),
                        "width \(width): '\(line)'")
            }
            #expect(words(text) == wide, "width \(width) keeps every word whole and in order")
        }
        for line in HelpText.render("ratelimit", width: 40).split(separator: "\n").dropFirst() {
            #expect(line.count <= 40, "'\(line)'")
        }
    }

    @Test func argumentSyntax_DropsTheCommandName() {
        #expect(CommandInfo.named("ratelimit")?.argumentSyntax == "N/SECONDS [burst B] | off")
        #expect(CommandInfo.named("shutdown")?.argumentSyntax == "[--grace SECONDS] | now")
        #expect(CommandInfo.named("uploads")?.argumentSyntax == "[N|all] [--json] | show NAME")
        #expect(CommandInfo.named("exit")?.argumentSyntax == "")
        #expect(CommandInfo.named("quit")?.name == "exit")
    }
}
