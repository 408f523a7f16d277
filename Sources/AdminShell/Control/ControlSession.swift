import Glibc
import HTTPServer

/// One connection to the control socket, on its own thread: reads requests, runs each command line through a
/// `ShellSession` of its own (so every shell command works here as at the prompt) and sends one reply frame per
/// request (`ControlWire`).
final class ControlSession {
    /// A request line, once begun, must be complete within this: half a request must not hold a session forever.
    static let requestMilliseconds: Int64 = 10_000
    /// A client that stops reading is dropped after this long blocked on one send.
    static let sendTimeoutMilliseconds = 5_000
    /// How often a `log follow` looks at the server's state while no line arrives.
    static let followWaitMilliseconds: Int32 = 500

    private let socket: UnixSocket
    private let bus: CommandBus
    private let server: Server
    private let onShutdown: @Sendable () -> Void
    private var input = LineBuffer(limit: ControlWire.maximumRequestBytes)
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    /// What the shell printed for the request being answered.
    private var captured = ""
    private lazy var shell: ShellSession = {
        let shell = ShellSession(bus: bus, server: server, logger: server.context.logger) { [unowned self] in
            captured += $0
        }
        // The server's own standard output says nothing of the attached terminal's width.
        shell.helpWidth = { 80 }
        return shell
    }()

    init(socket: UnixSocket, bus: CommandBus, server: Server, onShutdown: @escaping @Sendable () -> Void) {
        self.socket = socket
        self.bus = bus
        self.server = server
        self.onShutdown = onShutdown
    }

    /// Serves requests until the client leaves, misbehaves or stops reading.
    func run() {
        socket.setSendTimeout(milliseconds: Self.sendTimeoutMilliseconds)
        guard socket.send(ControlWire.greeting(pid: getpid(), url: server.url)) else { return }
        while let request = nextRequest() {
            guard answer(request) else { return }
        }
    }

    // MARK: Requests

    /// The next request line; nil when the client closed, sent a line too long, or left one unfinished.
    private func nextRequest() -> [UInt8]? {
        var deadline: Int64?
        while true {
            switch input.next() {
            case .line(let line):
                return line
            case .tooLong:
                reply(.error, "request longer than \(ControlWire.maximumRequestBytes) bytes; closing")
                return nil
            case .incomplete:
                break
            }
            var wait: Int32 = -1
            if input.hasPartialLine {
                let end = deadline ?? MonotonicClock.milliseconds() + Self.requestMilliseconds
                deadline = end
                wait = Int32(max(0, end - MonotonicClock.milliseconds()))
            }
            guard socket.wait(for: POLLIN, milliseconds: wait) else {
                reply(.error, "request not finished within \(Self.requestMilliseconds / 1000) seconds; closing")
                return nil
            }
            guard readMore() else { return nil }
        }
    }

    private func readMore() -> Bool {
        guard let count = socket.read(into: &chunk) else { return false }
        input.append(chunk[..<count])
        return true
    }

    /// Answers one request; false when the session should end.
    private func answer(_ request: [UInt8]) -> Bool {
        guard let text = String(validating: request, as: UTF8.self) else {
            return reply(.error, "request is not UTF-8 text")
        }
        let verb = text.prefix { $0 != " " }
        let argument = String(text.dropFirst(verb.count + 1))
        switch ControlWire.Verb(rawValue: String(verb)) {
        case .run:
            return run(argument)
        case .complete:
            switch argument {
            case "uploads": return reply(.ok, words(.uploadNames))
            case "blocked": return reply(.ok, words(.blockedRanges))
            default: return reply(.error, "complete: expected 'uploads' or 'blocked'")
            }
        case .stop:
            return reply(.error, "stop: no log follow is running")
        case nil:
            let shown = String(verb.prefix(40)).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }
            return reply(.error, "unknown request '\(shown.joined())'; expected run, complete or stop "
                + "(control protocol \(ControlWire.version))")
        }
    }

    private func words(_ source: Completer.Source) -> String {
        ShellSession.serverWords(source, bus: bus).map { $0 + "\n" }.joined()
    }

    /// Runs one command line as the shell would, without its prompts: the client asks for confirmation itself.
    private func run(_ line: String) -> Bool {
        let parsed = CommandParser.parse(line)
        switch parsed {
        case .success(.exit)?:
            reply(.ok, "")
            return false
        case .success(.followLog(let filter))?:
            return follow(filter)
        default:
            captured = ""
            let ok = shell.execute(line, interactive: false)
            let sent = reply(ok ? .ok : .error, captured)
            if case .success(.server(.shutdown, _))? = parsed { onShutdown() }
            return sent
        }
    }

    /// Streams the access-log lines `filter` matches until the client sends a line (`stop`) or the server drains.
    private func follow(_ filter: LogFilter) -> Bool {
        let followers = server.context.accessLog.followers
        guard let subscription = followers.follow(filter) else {
            return reply(.error, "log follow: out of file descriptors")
        }
        defer { followers.stop(subscription) }
        var stopping = false
        while !stopping {
            var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: subscription.mailbox.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, Self.followWaitMilliseconds)
            if fds[0].revents != 0 {
                guard readMore() else { return false }
                if case .line = input.next() { stopping = true }
            }
            if server.isDraining { stopping = true }
            let (lines, dropped) = subscription.mailbox.take()
            var frames = lines.map { ControlWire.frame(.log, $0) }.joined()
            if dropped > 0 { frames += ControlWire.frame(.dropped, String(dropped)) }
            if !frames.isEmpty, !socket.send(frames) { return false }
        }
        return reply(.ok, server.isDraining ? "log follow: the server is shutting down" : "")
    }

    /// Sends one frame; false when the client is gone or stopped reading.
    @discardableResult
    private func reply(_ kind: ControlWire.Kind, _ text: String) -> Bool {
        socket.send(ControlWire.frame(kind, text))
    }
}
