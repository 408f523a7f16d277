import Glibc
import HTTPServer

/// The operator's side of httpsh: reads commands (from a terminal, a script on stdin, or `-c`), sends them over
/// the bus, prints the replies, and shuts the server down when the input ends.
public final class ShellSession {
    let bus: CommandBus
    let server: Server
    let logger: Logger
    private var failures = 0
    /// True once the server has shut down: this session asked for it, or waited for a signal's shutdown.
    private var stopped = false
    /// The prompt, while the interactive loop runs.
    private var editor: LineEditor?
    /// Log lines waiting for the prompt, while the interactive loop runs at a terminal.
    private var promptLogs: LineMailbox?
    /// The launching terminal hung up: the server serves on without a shell.
    private var detached = false
    /// Log lines waiting above the prompt at most: a busy server must not fill memory while the operator's
    /// terminal catches up (more are dropped and counted).
    static let promptLogCapacity = 2_000

    /// Where replies go: standard output, or a control session's reply.
    private let output: (String) -> Void
    /// The command that attaches to this server, for the line printed when the terminal goes away.
    public var attachCommand = "httpsh attach"
    /// True once the launching terminal hung up (SIGHUP): the prompt then detaches and the server serves on.
    public var terminalHungUp: @Sendable () -> Bool = { false }
    /// A descriptor that turns readable when `terminalHungUp` turns true. With it, the prompt sleeps until a key,
    /// a log line, the hang-up or the server's shutdown (`Server.shutdownDescriptor`); without it, the prompt
    /// looks at both every `LineEditor.stopCheckMilliseconds`.
    public var terminalHangUpDescriptor: Int32?
    /// The width `help` fits: the terminal's, read at each `help` (the window may have been resized), else 80.
    var helpWidth: () -> Int = { Terminal.columns(1) ?? 80 }

    /// A session printing to `output` (standard output unless told otherwise).
    public init(bus: CommandBus, server: Server, logger: Logger,
                output: @escaping (String) -> Void = { Terminal.write(1, $0) }) {
        self.bus = bus
        self.server = server
        self.logger = logger
        self.output = output
    }

    /// Runs to the end of input and returns the exit status: in script mode (stdin or `-c`) 0 when every command
    /// succeeded, 1 otherwise; an interactive session's typos are answered on the spot and do not count.
    /// At the end of a script the server shuts down gracefully, unless `serveAfterScript`: then (and when a signal
    /// is already shutting the server down) `waitForSignal` blocks until the signal's shutdown has finished.
    public func run(commands: String?, serveAfterScript: Bool, waitForSignal: () -> Void) -> Int32 {
        if let commands {
            for line in ScriptText.statements(commands) where !stopped && !server.isDraining {
                execute(line, interactive: false)
            }
        } else if isatty(0) == 1, isatty(1) == 1 {
            runInteractive(waitForSignal: waitForSignal)
            if detached {
                // The terminal went away (SIGHUP, or reading it failed): say how to come back and serve on until
                // a shutdown arrives another way (a signal, or `shutdown` through the control socket).
                logger.sink.write("httpsh: shell detached; attach with: \(attachCommand)")
                waitForSignal()
            }
        } else {
            let reader = LineReader(fd: 0, stopDescriptors: [server.shutdownDescriptor]) { [server] in server.isDraining }
            var lines = 0
            while !stopped, let line = reader.next() {
                lines += 1
                execute(line, interactive: false)
            }
            if lines == 0, !server.isDraining {
                // Started as services are (systemd, nohup, a container without -i): stdin is /dev/null.
                Terminal.write(2, "httpsh: standard input is empty: serving \(server.url) without a shell until SIGTERM "
                    + "or SIGINT; attach with: \(attachCommand)\n")
                waitForSignal()
                stopped = true
            }
        }
        if !stopped {
            if serveAfterScript || server.isDraining {
                waitForSignal()
            } else {
                // Not asked for: its report goes to stderr, so stdout holds only the script's replies.
                send(.shutdown(graceSeconds: nil), json: false, interactive: false, reportTo: 2)
            }
        }
        return failures == 0 ? 0 : 1
    }

    /// Parses and runs one line, printing the reply. Returns false when the line failed.
    @discardableResult
    func execute(_ line: String, interactive: Bool) -> Bool {
        guard let parsed = CommandParser.parse(line) else { return true }
        switch parsed {
        case .failure(let error):
            if !interactive { failures += 1 }
            let json = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).contains("--json")
            emit(json ? ReplyFormatter.jsonError(error.description) : "error: \(error)")
            return false
        case .success(.help(let topic)):
            emit(HelpText.render(topic, width: helpWidth()))
            return true
        case .success(.followLog(let filter)):
            return followLog(filter, interactive: interactive)
        case .success(.exit):
            return send(.shutdown(graceSeconds: nil), json: false, interactive: interactive)
        case .success(.server(let command, let json)):
            if interactive, case .block(let range, _, _) = command, !confirmBlockingOperator(range) {
                emit("not blocked")
                return true
            }
            return send(command, json: json, interactive: interactive)
        }
    }

    /// Sends `command` and prints its reply to `reportTo` (standard output unless told otherwise).
    @discardableResult
    private func send(_ command: Command, json: Bool, interactive: Bool, reportTo fd: Int32 = 1) -> Bool {
        if case .shutdown = command {
            stopped = true
            if !json { emit("shutting down: finishing in-flight requests", to: fd) }
        }
        let reply = bus.send(command)
        if !reply.ok, !interactive { failures += 1 }
        emit(json ? ReplyFormatter.json(reply) : ReplyFormatter.text(reply), to: fd)
        return reply.ok
    }

    /// Prints a reply at once (stdout may be a pipe; each reply must reach the reader when it is made).
    /// Standard output is this session's `output` (a control session's reply); standard error stays the process's.
    func emit(_ text: String, to fd: Int32 = 1) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        if fd == 1 { output(line) } else { Terminal.write(fd, line) }
    }

    /// `log follow` in this shell: prints the access-log lines `filter` matches until Ctrl-C at a terminal, or
    /// until the server shuts down. Log lines meant for the prompt wait meanwhile, and are counted, not replayed.
    private func followLog(_ filter: LogFilter, interactive: Bool) -> Bool {
        let followers = server.context.accessLog.followers
        guard let subscription = followers.follow(filter) else {
            failures += 1
            emit("error: log follow: out of file descriptors")
            return false
        }
        defer { followers.stop(subscription) }
        let keys = interactive ? InterruptKey() : nil
        defer { keys?.restore() }
        if keys != nil { emit("following \(filter); Ctrl-C stops") }
        while !server.isDraining, !terminalHungUp() {
            var fds = [pollfd(fd: subscription.mailbox.wakeDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: keys == nil ? -1 : 0, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, Int32(LineReader.stopCheckMilliseconds))
            if fds[1].revents != 0, keys?.interrupted() == true { break }
            let (lines, dropped) = subscription.mailbox.take()
            var text = lines.map { TerminalText.escaped($0) + "\n" }.joined()
            if dropped > 0 { text += "(\(dropped) lines dropped: the terminal could not keep up)\n" }
            if !text.isEmpty { output(text) }
        }
        if let skipped = promptLogs?.take(), skipped.lines.count + skipped.dropped > 0 {
            emit("(\(skipped.lines.count + skipped.dropped) log lines not shown while following)")
        }
        return true
    }

    /// Blocking loopback would lock the operator's own browser and curl out: ask first.
    func confirmBlockingOperator(_ range: CIDR) -> Bool {
        guard let editor else { return true }
        return Self.confirmBlocking(range, editor: editor)
    }

    /// Asks at `editor` whether to block `range` when it covers this machine's own address; true otherwise.
    static func confirmBlocking(_ range: CIDR, editor: LineEditor) -> Bool {
        let loopbacks = [IPAddress("127.0.0.1"), IPAddress("::1")].compactMap { $0 }
        guard loopbacks.contains(where: range.contains) else { return true }
        return editor.confirm("\(range) covers this machine's own address (your browser, curl): block it anyway? [y/N] ")
    }

    func runInteractive(waitForSignal: () -> Void) {
        // Log lines meant for the terminal wait for the prompt to print them above itself; lines redirected to a
        // file keep going there.
        let previousSink = logger.sink
        let promptSink = isatty(2) == 1 ? LineMailbox(capacity: Self.promptLogCapacity) : nil
        if let promptSink { logger.sink = promptSink }
        promptLogs = promptSink
        defer {
            promptLogs = nil
            logger.sink = previousSink
            for line in promptSink?.take().lines ?? [] { previousSink.write(line) }
        }
        let completer = Completer { [bus] source in Self.serverWords(source, bus: bus) }
        let historyPath = getenv("HOME").map { String(cString: $0) + "/.httpsh_history" }
        let stopDescriptors = terminalHangUpDescriptor.map { [server.shutdownDescriptor, $0] } ?? []
        guard let editor = LineEditor(completer: completer, logs: promptSink, historyPath: historyPath,
                                      stopDescriptors: stopDescriptors,
                                      shouldStop: { [server, terminalHungUp] in
                                          server.isDraining || terminalHungUp()
                                      }) else {
            emit("httpsh: cannot start line editing; reading commands line by line")
            let reader = LineReader(fd: 0, stopDescriptors: [server.shutdownDescriptor]) { [server] in server.isDraining }
            while !stopped, let line = reader.next() { execute(line, interactive: false) }
            return
        }
        self.editor = editor
        defer {
            editor.close()
            self.editor = nil
        }
        emit(banner())
        while !stopped {
            let input = server.isDraining ? .stopped : editor.readLine(prompt: "httpsh> ")
            switch input {
            case .line(let line):
                editor.remember(line)
                execute(line, interactive: true)
            case .interrupted:
                continue
            case .endOfInput:
                // Ctrl-D: leave the shell; the server shuts down gracefully.
                emit("exit")
                execute("exit", interactive: true)
            case .hungUp,
                 .stopped where terminalHungUp():
                // The loop ends and the prompt lets go of the terminal and the log before the server serves on.
                detached = true
                stopped = true
            case .stopped:
                emit("httpsh: the server is shutting down; leaving the shell once it has")
                waitForSignal()
                stopped = true
            }
        }
    }

    /// The words Tab offers from the running server: the first column of `blocked` or `uploads`.
    static func serverWords(_ source: Completer.Source, bus: CommandBus) -> [String] {
        let reply = bus.send(source == .blockedRanges ? .blocked : .uploads(limit: 200))
        return reply.rowTexts.compactMap(\.first)
    }

    func banner() -> String {
        let workers = server.workers.target
        // The folders are the site's, which the server's control knows (the server itself serves no folder).
        let status = bus.send(.status)
        return """
        httpsh 0.1.0 serving \(status.field("root")?.text ?? "") at \(server.url)
        uploads: \(status.field("uploads")?.text ?? "")   workers: \(workers)
        Type 'help' for commands, Tab to complete, Ctrl-D or 'exit' to shut down.
        """
    }
}
