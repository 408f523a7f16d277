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

    public init(bus: CommandBus, server: Server, logger: Logger) {
        self.bus = bus
        self.server = server
        self.logger = logger
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
        } else {
            let reader = LineReader(fd: 0) { [server] in server.isDraining }
            while !stopped, let line = reader.next() {
                execute(line, interactive: false)
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
            emit(HelpText.render(topic))
            return true
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
    func emit(_ text: String, to fd: Int32 = 1) {
        Terminal.write(fd, text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Blocking loopback would lock the operator's own browser and curl out: ask first.
    func confirmBlockingOperator(_ range: CIDR) -> Bool {
        let loopbacks = [IPAddress("127.0.0.1"), IPAddress("::1")].compactMap { $0 }
        guard loopbacks.contains(where: range.contains), let editor else { return true }
        let question = "\(range) covers this machine's own address (your browser, curl): block it anyway? [y/N] "
        guard case .line(let answer) = editor.readLine(prompt: question) else { return false }
        return answer.drop { $0 == " " || $0 == "\t" }.lowercased().hasPrefix("y")
    }

    func runInteractive(waitForSignal: () -> Void) {
        // Log lines meant for the terminal wait for the prompt to print them above itself; lines redirected to a
        // file keep going there.
        let previousSink = logger.sink
        let promptSink = isatty(2) == 1 ? PromptLogSink() : nil
        if let promptSink { logger.sink = promptSink }
        defer {
            logger.sink = previousSink
            for line in promptSink?.take().lines ?? [] { previousSink.write(line) }
        }
        let completer = Completer { [bus] source in Self.serverWords(source, bus: bus) }
        let historyPath = getenv("HOME").map { String(cString: $0) + "/.httpsh_history" }
        guard let editor = LineEditor(completer: completer, logs: promptSink, historyPath: historyPath,
                                      shouldStop: { [server] in server.isDraining }) else {
            emit("httpsh: cannot start line editing; reading commands line by line")
            let reader = LineReader(fd: 0) { [server] in server.isDraining }
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
            case .stopped:
                emit("httpsh: signal received; leaving the shell once the server has shut down")
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
        return """
        httpsh 0.1.0 serving \(server.configuration.root) at \(server.url)
        uploads: \(server.configuration.uploads)   workers: \(workers)
        Type 'help' for commands, Tab to complete, Ctrl-D or 'exit' to shut down.
        """
    }
}
