import Glibc
import HTTPServer

/// `httpsh attach` on several servers at once (`--control` repeated, or `--controls FILE`): each command runs on
/// every server and each reply is labelled with its server (`FleetReply`). Interactive at a terminal (Tab
/// completion asked of the first server that answers), or commands from `-c` or piped stdin with the script exit
/// status: 0 when every server answered every command with a success, else 1. Leaving never stops the servers;
/// `shutdown` stops them all (asked once at a terminal).
public final class FleetSession: AttachedShell {
    private let fleet: Fleet
    private var failures = 0
    var leaving = false
    var editor: LineEditor?
    /// Why each server that could not be reached at the start was not, for the banner.
    private var unreachable: [ObjectIdentifier: String] = [:]

    /// A session on `targets`, giving each server `timeoutSeconds` to answer each command.
    public init(targets: [FleetTarget], timeoutSeconds: Double) {
        fleet = Fleet(targets: targets, timeoutMilliseconds: Int64(timeoutSeconds * 1000))
    }

    /// Runs to the end of input and returns the exit status (1 as well when no server can be reached at all).
    public func run(commands: String?) -> Int32 {
        unreachable = fleet.connect(by: fleet.deadline())
        guard unreachable.count < fleet.members.count else {
            for member in fleet.members {
                Terminal.write(2, "httpsh attach: \(TerminalText.escaped(member.target.label)): "
                    + "\(TerminalText.escaped(unreachable[ObjectIdentifier(member)] ?? ""))\n")
            }
            return 1
        }
        let interactive = runLines(commands)
        fleet.close()
        return failures == 0 || interactive ? 0 : 1
    }

    var promptText: String { "httpsh[\(fleet.running.count)]> " }

    var banner: String {
        var lines = ["attached to \(fleet.members.count) httpsh servers:"]
        for member in fleet.members {
            if let client = member.client {
                lines.append("  \(member.target.label)  pid \(client.serverPID) at \(client.serverURL) through \(client.path)")
            } else {
                lines.append("  \(member.target.label)  error: \(unreachable[ObjectIdentifier(member)] ?? "not reached")")
            }
        }
        lines.append("Each command runs on every server. Type 'help' for commands, Tab to complete; Ctrl-D or 'exit' "
            + "leaves (the servers run on), 'shutdown' stops them all.")
        return lines.joined(separator: "\n")
    }

    var goneMessage: String { "httpsh attach: every server closed its connection (they shut down)" }

    var serversGone: Bool { fleet.running.allSatisfy { $0.client?.serverClosed ?? true } }

    var addresses: [String] { fleet.members.map { "@" + $0.target.label } }

    /// Tab asks the first server that is connected and not behind, within the deadline.
    func completions(_ source: Completer.Source) -> [String] {
        let ready = fleet.running.lazy.compactMap(\.client).first { (try? $0.catchUp()) == true }
        return ready?.completions(source, by: fleet.deadline()) ?? []
    }

    /// Runs one line: help, errors in the line, `exit` and confirmations here, once; the rest on every server,
    /// or on the one a leading `@LABEL` names.
    func execute(_ line: String) {
        var line = line
        var members = fleet.running
        if let (label, rest) = Self.addressed(line) {
            guard let member = members.first(where: { $0.target.label == label }) else {
                failures += 1
                let labels = members.map(\.target.label).joined(separator: ", ")
                print("error: no running server is labelled '\(label)' (the labels: \(labels))")
                return
            }
            (line, members) = (rest, [member])
        }
        guard let parsed = CommandParser.parse(line) else { return }
        var mergeTables = false
        var extraMilliseconds: Int64 = 0
        switch parsed {
        case .failure(let error):
            failures += 1
            let json = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).contains("--json")
            print(json ? ReplyFormatter.jsonError(error.description) : "error: \(error)")
            return
        case .success(.help(let topic)):
            print(HelpText.render(topic, width: Terminal.columns(1) ?? 80))
            return
        case .success(.exit):
            leaving = true
            return
        case .success(.followLog):
            follow(line, on: members)
            return
        case .success(.server(.kill, _)) where members.count > 1:
            failures += 1
            print("error: kill: connection ids are each server's own: name the server, "
                + "'@\(members[0].target.label) \(line.drop { $0 == " " || $0 == "\t" })'")
            return
        case .success(.server(.shutdown(let grace), _)):
            let labels = members.map(\.target.label)
            if let editor, !editor.confirm("Stop \(Self.servers(labels.count)) (\(labels.joined(separator: ", ")))? [y/N] ") {
                print("not stopped")
                return
            }
            // A server finishes its in-flight requests before it answers.
            extraMilliseconds = Int64((grace ?? Double(ServerConfiguration().shutdownGraceSeconds)) * 1000)
        case .success(.server(.block(let range, _, _), _)):
            if let editor, !ShellSession.confirmBlocking(range, editor: editor) {
                print("not blocked")
                return
            }
        case .success(.server(let command, let json)):
            mergeTables = !json && Self.mergesTables(command)
        }
        let reply = fleet.run(line, on: members, by: fleet.deadline(extraMilliseconds: extraMilliseconds))
        if !reply.ok { failures += 1 }
        let json: Bool = if case .success(.server(_, let json)) = parsed { json } else { false }
        print(json ? reply.json() : reply.text(mergeTables: mergeTables))
        if case .success(.server(.shutdown, _)) = parsed {
            markStopped(reply)
        }
    }

    /// `@web1 status`: the label and the command line after it; nil for a line not addressed to one server.
    static func addressed(_ line: String) -> (label: String, rest: String)? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.first == "@" else { return nil }
        let label = trimmed.dropFirst().prefix { $0 != " " && $0 != "\t" }
        return (String(label), String(trimmed.dropFirst(label.count + 1).drop { $0 == " " || $0 == "\t" }))
    }

    /// `1 server`, `3 servers`.
    private static func servers(_ count: Int) -> String {
        count == 1 ? "1 server" : "\(count) servers"
    }

    /// The commands whose tables read better as one, with an INSTANCE column.
    private static func mergesTables(_ command: Command) -> Bool {
        switch command {
        case .counters, .top, .blocked, .uploads, .connections: true
        default: false
        }
    }

    /// The servers that answered `shutdown` are stopping: no more commands go to them; the session ends with
    /// the last.
    private func markStopped(_ reply: FleetReply) {
        for (label, answer) in reply.answers {
            guard case .reply(let answered) = answer, answered.ok,
                  let member = fleet.running.first(where: { $0.target.label == label }) else { continue }
            member.stopped = true
            member.client?.close()
            member.client = nil
        }
        if fleet.running.isEmpty { leaving = true }
    }

    /// `log follow` on every server: each line prefixed with its server's label, until Ctrl-C at a terminal; in a
    /// script, until every server or the reader of standard output goes away.
    private func follow(_ line: String, on members: [Fleet.Member]) {
        let keys = editor == nil ? nil : InterruptKey()
        defer { keys?.restore() }
        var (following, failed) = fleet.submit(line, to: members, by: fleet.deadline())
        for member in members where failed[ObjectIdentifier(member)] != nil {
            print(prefix(member.target.label) + "error: " + (failed[ObjectIdentifier(member)] ?? ""))
        }
        if !failed.isEmpty { failures += 1 }
        if keys != nil { print("following on \(Self.servers(following.count)); Ctrl-C stops") }
        var readerGone = false
        while !following.isEmpty {
            for member in following {
                if !take(from: member, readerGone: &readerGone) { following.removeAll { $0 === member } }
            }
            var fds = following.compactMap { $0.client.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) } }
            fds.append(pollfd(fd: keys == nil ? -1 : 0, events: Int16(POLLIN), revents: 0))
            _ = poll(&fds, nfds_t(fds.count), Self.followPollMilliseconds)
            let interrupted = fds[fds.count - 1].revents != 0 && keys?.interrupted() == true
            if interrupted || readerGone {
                stop(following)
                return
            }
        }
    }

    /// Prints what `member` has sent of its `log follow`; false once its stream ended (its reply came, or the
    /// connection failed).
    private func take(from member: Fleet.Member, readerGone: inout Bool) -> Bool {
        guard let client = member.client else { return false }
        let lead = prefix(member.target.label)
        do {
            while let event = try client.nextEvent(waitMilliseconds: 0) {
                switch event {
                case .stream(.line(let text)):
                    readerGone = !Terminal.write(1, lead + TerminalText.escaped(text) + "\n") || readerGone
                case .stream(.dropped(let count)):
                    print(lead + "(\(count) lines dropped: this session could not keep up)")
                case .reply(let reply):
                    if !reply.ok { failures += 1 }
                    if !reply.text.isEmpty { print(lead + reply.text) }
                    return false
                }
            }
            return true
        } catch {
            failures += 1
            print(lead + "error: " + fleet.describe(error))
            member.client = nil
            return false
        }
    }

    /// Ends the `log follow` on `members` and prints their closing replies, waiting one deadline at most.
    private func stop(_ members: [Fleet.Member]) {
        let deadline = fleet.deadline()
        for member in members {
            try? member.client?.stopFollowing()
        }
        for member in members {
            guard let client = member.client else { continue }
            do {
                let reply = try client.reply(by: deadline)
                if !reply.text.isEmpty { print(prefix(member.target.label) + reply.text) }
            } catch {
                failures += 1
                print(prefix(member.target.label) + "error: " + fleet.describe(error))
                member.client = nil
            }
        }
    }

    /// How often a fleet's `log follow` looks at Ctrl-C and standard output while no line arrives.
    private static let followPollMilliseconds: Int32 = 200

    /// `web1: `, padded to the longest label so that the lines of several servers align.
    private func prefix(_ label: String) -> String {
        let width = fleet.members.map(\.target.label.count).max() ?? 0
        return label + ":" + String(repeating: " ", count: width - label.count + 1)
    }

    /// Prints text safely: what a server or its clients sent, and the labels, pass through `TerminalText`.
    func print(_ text: String) {
        let safe = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }
        Terminal.write(1, safe.joined(separator: "\n") + "\n")
    }
}
