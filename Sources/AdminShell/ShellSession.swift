import Glibc
import HTTPServer

/// The operator's side of httpsh: reads commands (from a terminal, a script on stdin, or `-c`), sends them over
/// the bus, prints the replies, and shuts the server down when the input ends.
public final class ShellSession {
    let bus: CommandBus
    let server: Server
    let logger: Logger
    private var failures = 0
    private var stopped = false

    public init(bus: CommandBus, server: Server, logger: Logger) {
        self.bus = bus
        self.server = server
        self.logger = logger
    }

    /// Runs to the end of input and returns the exit status: 0 when every command succeeded, 1 otherwise.
    /// `waitForSignal` blocks until SIGTERM/SIGINT has shut the server down (for `--serve`).
    public func run(commands: String?, serveAfterScript: Bool, waitForSignal: () -> Void) -> Int32 {
        if let commands {
            for line in commands.split(separator: ";") where !stopped {
                execute(String(line), interactive: false)
            }
        } else if isatty(0) == 1 {
            runInteractive()
        } else {
            let reader = LineReader(fd: 0)
            while !stopped, let line = reader.next() {
                execute(line, interactive: false)
            }
        }
        if !stopped {
            if serveAfterScript {
                waitForSignal()
            } else {
                execute("shutdown", interactive: false)
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
            failures += 1
            emit("error: \(error)")
            return false
        case .success(.help(let topic)):
            emit(HelpText.render(topic))
            return true
        case .success(.exit):
            let reply = bus.send(.shutdown(graceSeconds: nil))
            stopped = true
            emit("shutting down\n" + ReplyFormatter.text(reply))
            return reply.ok
        case .success(.server(let command, let json)):
            if interactive, case .block(let range, _) = command, !confirmBlockingOperator(range) {
                emit("not blocked")
                return true
            }
            if case .shutdown = command { emit("shutting down: finishing in-flight requests") }
            let reply = bus.send(command)
            if case .shutdown = command { stopped = true }
            if !reply.ok { failures += 1 }
            emit(json ? ReplyFormatter.json(reply) : ReplyFormatter.text(reply))
            return reply.ok
        }
    }

    /// Prints a reply and flushes (stdout may be a pipe).
    func emit(_ text: String) {
        Terminal.write(1, text + "\n")
    }

    /// Blocking loopback would lock the operator's own browser and curl out: ask first.
    func confirmBlockingOperator(_ range: CIDR) -> Bool {
        let loopbacks = [IPAddress("127.0.0.1"), IPAddress("::1")].compactMap { $0 }
        guard loopbacks.contains(where: range.contains) else { return true }
        return askYesNo("\(range) includes this machine's loopback address; block it anyway? [y/N] ")
    }

    func runInteractive() {
        let editor = LineEditor(logger: logger)
        emit(banner())
        while !stopped {
            guard let line = editor.readLine(prompt: "httpsh> ") else {
                // Ctrl-D: leave the shell; the server shuts down gracefully.
                emit("exit")
                execute("exit", interactive: true)
                break
            }
            editor.remember(line)
            execute(line, interactive: true)
        }
        editor.close()
    }

    private func askYesNo(_ question: String) -> Bool {
        Terminal.write(1, question)
        let answer = LineReader(fd: 0).next() ?? ""
        return answer.lowercased().hasPrefix("y")
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
