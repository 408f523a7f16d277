import Glibc
import HTTPServer

/// A connection to a running httpsh's control socket: what `httpsh attach` talks through, and what a fleet shell
/// holds one of per server. Requests and replies follow `ControlWire`; one request at a time.
///
/// ```swift
/// let client = try ControlClient(path: "/run/httpsh/8080.sock")
/// let reply = try client.run("workers 4")   // reply.ok, reply.text
/// ```
public final class ControlClient {
    /// Why talking to the server failed; the connection is unusable afterwards.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// True when the server said nothing in time: it may be stopped or overloaded rather than gone.
        public var timedOut = false
    }

    /// One reply: whether the command succeeded, and the text to print.
    public struct Reply: Sendable, Equatable {
        public let ok: Bool
        public let text: String
    }

    /// What a `log follow` stream delivers before its reply.
    public enum StreamEvent: Sendable, Equatable {
        /// One access-log line (not yet escaped for a terminal).
        case line(String)
        /// This many lines were dropped because this session read too slowly.
        case dropped(Int)
    }

    /// One frame of the answer to a command: a streamed event, or the reply that ends it.
    public enum Event: Sendable, Equatable {
        case stream(StreamEvent)
        case reply(Reply)
    }

    /// A socket connected but not yet greeted, so that a fleet can connect to every server before waiting for
    /// any greeting (a stopped server then costs one deadline, not one per server).
    public struct Opening {
        let path: String
        let socket: UnixSocket
    }

    /// How long connecting may wait for the greeting: a server stuck that long is reported, not waited for.
    static let greetingMilliseconds: Int64 = 10_000

    /// The socket's path.
    public let path: String
    /// The server's process id and URL, from its greeting.
    public let serverPID: Int32
    public let serverURL: String
    private let socket: UnixSocket
    private var input: LineBuffer
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    /// When the reply being read must have arrived (monotonic milliseconds); nil: no limit.
    private var deadline: Int64?
    /// True between a frame's header and the end of its text: a deadline missed there leaves the connection
    /// out of step.
    private var readingFrame = false
    /// Replies that missed their deadline and have not come yet: skipped when they do (`catchUp`).
    private var owedReplies = 0

    /// Connects to the socket at `path` and reads the server's greeting.
    public convenience init(path: String) throws(Failure) {
        try self.init(Self.open(path), greetedBy: MonotonicClock.milliseconds() + Self.greetingMilliseconds)
    }

    /// Connects to the socket at `path` without waiting for the server to greet; with `timeoutMilliseconds`,
    /// connecting and each send to the server are bounded by it (a stopped server's backlog fills up).
    public static func open(_ path: String, timeoutMilliseconds: Int? = nil) throws(Failure) -> Opening {
        do {
            return Opening(path: path, socket: try UnixSocket.connect(path: path, sendTimeoutMilliseconds: timeoutMilliseconds))
        } catch {
            let hint = error.code == ENOENT || error.code == ECONNREFUSED ? " (is httpsh running? see --port, --control)" : ""
            throw Failure(description: "cannot reach \(path): \(String(cString: strerror(error.code)))\(hint)")
        }
    }

    /// Reads the greeting on `opening`, waiting until the monotonic `deadline` (milliseconds) at most.
    public init(_ opening: Opening, greetedBy deadline: Int64) throws(Failure) {
        let (path, socket) = (opening.path, opening.socket)
        var input = LineBuffer(limit: ControlWire.maximumFrameBytes)
        guard let greeting = Self.readLine(socket, &input, by: deadline) else {
            socket.close()
            let late = MonotonicClock.milliseconds() >= deadline
            throw Failure(description: "\(path): no greeting from the server" + (late ? " in time" : ""), timedOut: late)
        }
        if greeting.hasPrefix("error: ") {
            socket.close()
            throw Failure(description: "\(path): " + String(greeting.dropFirst("error: ".count)))
        }
        let words = greeting.split(separator: " ", maxSplits: 3).map(String.init)
        guard words.count == 4, words[0] == ControlWire.greetingWord, let version = Int(words[1]),
              let pid = Int32(words[2]) else {
            socket.close()
            throw Failure(description: "\(path) is not an httpsh control socket")
        }
        guard version == ControlWire.version else {
            socket.close()
            throw Failure(description: "\(path) speaks control protocol \(version); this httpsh speaks \(ControlWire.version)")
        }
        self.path = path
        self.socket = socket
        self.input = input
        serverPID = pid
        serverURL = words[3]
    }

    deinit {
        socket.close()
    }

    /// Runs one command line (`workers 4`, `status --json`) and returns its reply.
    public func run(_ line: String) throws(Failure) -> Reply {
        try submit(line)
        return try reply(by: nil)
    }

    /// Sends one command line without waiting for its reply: a fleet sends to every server first, so that the
    /// servers work at the same time, then collects the replies (`reply(by:)`).
    public func submit(_ line: String) throws(Failure) {
        try send(.run, line)
    }

    /// The reply to the command `submit` sent (stream events skipped), waiting until the monotonic `deadline`
    /// (milliseconds; nil: as long as it takes). A missed deadline throws a `timedOut` failure, and the
    /// connection is unusable afterwards (the reply may still come).
    public func reply(by deadline: Int64?) throws(Failure) -> Reply {
        self.deadline = deadline
        defer { self.deadline = nil }
        do {
            while true {
                if case .reply(let reply)? = try nextEvent(waitMilliseconds: -1) { return reply }
            }
        } catch {
            if error.timedOut, !readingFrame { owedReplies += 1 }
            throw error
        }
    }

    /// True when this connection can take a command: every reply that missed its deadline has come since (and
    /// was skipped). Reads only what has arrived; a server still silent is not waited for. A connection that
    /// missed a deadline in the middle of a frame throws: it is out of step for good.
    public func catchUp() throws(Failure) -> Bool {
        guard !readingFrame else { throw Failure(description: "the server stopped in the middle of a reply") }
        // A frame whose header has come is read to its end within the time any reply is given.
        deadline = MonotonicClock.milliseconds() + Self.greetingMilliseconds
        defer { deadline = nil }
        while owedReplies > 0 {
            guard let event = try nextEvent(waitMilliseconds: 0) else { return false }
            if case .reply = event { owedReplies -= 1 }
        }
        return true
    }

    /// Runs `log follow …`: `onEvent` gets each line as it comes, and `shouldStop` is asked between them (and at
    /// least every `pollMilliseconds`); once it says true, the stream is stopped and its reply returned.
    public func follow(_ line: String, pollMilliseconds: Int32 = 200, shouldStop: () -> Bool,
                       onEvent: (StreamEvent) -> Void) throws(Failure) -> Reply {
        try submit(line)
        var stopSent = false
        while true {
            switch try nextEvent(waitMilliseconds: pollMilliseconds) {
            case .reply(let reply)?: return reply
            case .stream(let event)?: onEvent(event)
            case nil: break
            }
            if !stopSent, shouldStop() {
                stopSent = true
                try stopFollowing()
            }
        }
    }

    /// Ends the `log follow` this connection is streaming; its reply follows.
    func stopFollowing() throws(Failure) {
        try send(.stop, nil)
    }

    /// The next frame of the answer to the submitted command, or nil when none came within `waitMilliseconds`
    /// (-1: as long as it takes; 0: only what has already arrived).
    func nextEvent(waitMilliseconds: Int32) throws(Failure) -> Event? {
        guard let header = try nextLine(waitMilliseconds: waitMilliseconds) else { return nil }
        let words = header.split(separator: " ")
        guard words.count == 2, let kind = ControlWire.Kind(rawValue: String(words[0])),
              let length = Int(words[1]), (0...ControlWire.maximumFrameBytes).contains(length) else {
            throw Failure(description: "unexpected reply from the server: \(TerminalText.escaped(String(header.prefix(80))))")
        }
        readingFrame = true
        var body = try bytes(length)
        readingFrame = false
        if body.last == 10 { body.removeLast() }
        let text = String(decoding: body, as: UTF8.self)
        switch kind {
        case .ok, .error: return .reply(Reply(ok: kind == .ok, text: text))
        case .log: return .stream(.line(text))
        case .dropped: return .stream(.dropped(Int(text) ?? 0))
        }
    }

    /// The socket, for a fleet's `poll` over all its servers.
    var descriptor: Int32 { socket.fd }

    /// The words Tab offers for `source`, asked of the server (waiting until the monotonic `deadline` at most);
    /// none when it cannot say.
    func completions(_ source: Completer.Source, by deadline: Int64? = nil) -> [String] {
        do throws(Failure) {
            try send(.complete, source == .uploadNames ? "uploads" : "blocked")
            let reply = try reply(by: deadline)
            return reply.ok ? reply.text.split(separator: "\n").map(String.init) : []
        } catch {
            return []
        }
    }

    /// True once the server closed the connection (it shut down); never blocks.
    public var serverClosed: Bool {
        guard !input.hasPartialLine, socket.wait(for: POLLIN, milliseconds: 0) else { return false }
        var byte: UInt8 = 0
        return recv(socket.fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) == 0
    }

    /// Closes the connection (the server runs on).
    public func close() {
        socket.shutdown()
    }

    // MARK: Wire

    private func send(_ verb: ControlWire.Verb, _ argument: String?) throws(Failure) {
        let line = argument.map { "\(verb.rawValue) \($0)" } ?? verb.rawValue
        guard !line.contains("\n"), line.utf8.count <= ControlWire.maximumRequestBytes else {
            throw Failure(description: "the command is longer than \(ControlWire.maximumRequestBytes) bytes")
        }
        guard socket.send(line + "\n") else { throw lost() }
    }

    /// The next line, or nil when none came within `waitMilliseconds` (-1: wait as long as it takes).
    private func nextLine(waitMilliseconds: Int32) throws(Failure) -> String? {
        while true {
            switch input.next() {
            case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .tooLong: throw Failure(description: "the server sent a line that is too long")
            case .incomplete: break
            }
            guard try awaitBytes(waitMilliseconds) else {
                if waitMilliseconds >= 0 { return nil }
                continue
            }
            try receive()
        }
    }

    private func bytes(_ count: Int) throws(Failure) -> [UInt8] {
        while true {
            if let taken = input.take(count) { return taken }
            guard try awaitBytes(-1) else { continue }
            try receive()
        }
    }

    /// Waits up to `requested` milliseconds (-1: as long as it takes) for bytes to read, but not past the reply's
    /// deadline; throws once the deadline has passed with nothing more arrived.
    private func awaitBytes(_ requested: Int32) throws(Failure) -> Bool {
        guard let deadline else { return socket.wait(for: POLLIN, milliseconds: requested) }
        let left = Int32(clamping: max(0, deadline - MonotonicClock.milliseconds()))
        if socket.wait(for: POLLIN, milliseconds: requested < 0 ? left : min(requested, left)) { return true }
        guard MonotonicClock.milliseconds() < deadline else { throw Failure(description: "no reply in time", timedOut: true) }
        return false
    }

    private func receive() throws(Failure) {
        guard let count = socket.read(into: &chunk) else { throw lost() }
        input.append(chunk[..<count])
    }

    private func lost() -> Failure {
        Failure(description: "the server closed the connection")
    }

    /// The greeting line (read before the client exists); nil when it did not come whole by `deadline`.
    private static func readLine(_ socket: UnixSocket, _ input: inout LineBuffer, by deadline: Int64) -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if case .line(let bytes) = input.next() { return String(decoding: bytes, as: UTF8.self) }
            let left = Int32(clamping: max(0, deadline - MonotonicClock.milliseconds()))
            guard socket.wait(for: POLLIN, milliseconds: left), let count = socket.read(into: &chunk) else { return nil }
            input.append(chunk[..<count])
        }
    }
}
