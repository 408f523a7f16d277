import Glibc
import HTTPServer

/// `httpsh attach`: the shell for a server that is already running, over its control socket. Interactive at a
/// terminal (history, Tab completion asked of the server, hints, Ctrl-C), or commands from `-c` or piped stdin
/// with the script exit status (0 when every command succeeded, else 1). Leaving never stops the server; only
/// `shutdown` does (confirmed first at a terminal).
public final class AttachSession: AttachedShell {
    private let client: ControlClient
    private var failures = 0
    var leaving = false
    var editor: LineEditor?

    public init(client: ControlClient) {
        self.client = client
    }

    /// Runs to the end of input and returns the exit status.
    public func run(commands: String?) -> Int32 {
        let interactive = runLines(commands)
        client.close()
        return failures == 0 || interactive ? 0 : 1
    }

    var promptText: String { "httpsh> " }

    var banner: String {
        """
        attached to httpsh (pid \(client.serverPID)) at \(client.serverURL) through \(client.path)
        Type 'help' for commands, Tab to complete; Ctrl-D or 'exit' leaves (the server runs on), 'shutdown' stops it.
        """
    }

    var goneMessage: String { "httpsh attach: the server closed the connection (it shut down)" }

    var serversGone: Bool { client.serverClosed }

    func completions(_ source: Completer.Source) -> [String] {
        client.completions(source)
    }

    var addresses: [String] { [] }

    /// Runs one line: `exit` and confirmations here, everything else on the server.
    func execute(_ line: String) {
        switch CommandParser.parse(line) {
        case .success(.exit)?:
            leaving = true
            return
        case .success(.followLog(let filter))?:
            follow(line, filter)
            return
        case .success(.server(.shutdown, _))?:
            if let editor, !editor.confirm("Stop the server at \(client.serverURL) (pid \(client.serverPID))? [y/N] ") {
                print("not stopped")
                return
            }
        case .success(.server(.block(let range, _, _), _))?:
            if let editor, !ShellSession.confirmBlocking(range, editor: editor) {
                print("not blocked")
                return
            }
        default:
            break
        }
        do {
            let reply = try client.run(line)
            if !reply.ok { failures += 1 }
            if !reply.text.isEmpty { print(reply.text) }
            if case .success(.server(.shutdown, _))? = CommandParser.parse(line), reply.ok { leaving = true }
        } catch {
            lost(error)
        }
    }

    /// `log follow`: prints the lines until Ctrl-C at a terminal; in a script, until the server or the reader of
    /// standard output goes away.
    private func follow(_ line: String, _ filter: LogFilter) {
        let keys = editor == nil ? nil : InterruptKey()
        defer { keys?.restore() }
        if keys != nil { print("following \(filter); Ctrl-C stops") }
        var readerGone = false
        do {
            let reply = try client.follow(line, shouldStop: {
                if readerGone { return true }
                guard let keys else { return false }
                var entry = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                return poll(&entry, 1, 0) > 0 && keys.interrupted()
            }, onEvent: { event in
                switch event {
                case .line(let text): readerGone = !Terminal.write(1, TerminalText.escaped(text) + "\n") || readerGone
                case .dropped(let count): print("(\(count) lines dropped: this session could not keep up)")
                }
            })
            if !reply.ok { failures += 1 }
            if !reply.text.isEmpty { print(reply.text) }
        } catch {
            lost(error)
        }
    }

    private func lost(_ error: ControlClient.Failure) {
        Terminal.write(2, "httpsh attach: \(error)\n")
        failures += 1
        leaving = true
    }

    /// Prints server text safely: control characters (which a client's request could have planted in a path or
    /// an upload) become `?`, line by line.
    func print(_ text: String) {
        let safe = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }
        Terminal.write(1, safe.joined(separator: "\n") + "\n")
    }
}
