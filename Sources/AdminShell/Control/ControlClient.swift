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

    /// How long connecting may wait for the greeting: a server stuck that long is reported, not waited for.
    static let greetingMilliseconds: Int32 = 10_000

    /// The socket's path.
    public let path: String
    /// The server's process id and URL, from its greeting.
    public let serverPID: Int32
    public let serverURL: String
    private let socket: UnixSocket
    private var input: LineBuffer
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    /// Connects to the socket at `path` and reads the server's greeting.
    public init(path: String) throws(Failure) {
        let socket: UnixSocket
        do {
            socket = try UnixSocket.connect(path: path)
        } catch {
            let hint = error.code == ENOENT || error.code == ECONNREFUSED ? " (is httpsh running? see --port, --control)" : ""
            throw Failure(description: "cannot reach \(path): \(String(cString: strerror(error.code)))\(hint)")
        }
        var input = LineBuffer(limit: ControlWire.maximumFrameBytes)
        var greeting: String?
        if socket.wait(for: POLLIN, milliseconds: Self.greetingMilliseconds) {
            greeting = Self.readLine(socket, &input)
        }
        guard let greeting else {
            socket.close()
            throw Failure(description: "\(path): no greeting from the server")
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
        try send(.run, line)
        return try reply { _ in }
    }

    /// Runs `log follow …`: `onEvent` gets each line as it comes, and `shouldStop` is asked between them (and at
    /// least every `pollMilliseconds`); once it says true, the stream is stopped and its reply returned.
    public func follow(_ line: String, pollMilliseconds: Int32 = 200, shouldStop: () -> Bool,
                       onEvent: (StreamEvent) -> Void) throws(Failure) -> Reply {
        try send(.run, line)
        var stopSent = false
        return try reply(waitMilliseconds: pollMilliseconds) { (event) throws(Failure) in
            if let event { onEvent(event) }
            if !stopSent, shouldStop() {
                stopSent = true
                try send(.stop, nil)
            }
        }
    }

    /// The words Tab offers for `source`, asked of the server; none when it cannot say.
    func completions(_ source: Completer.Source) -> [String] {
        do throws(Failure) {
            try send(.complete, source == .uploadNames ? "uploads" : "blocked")
            let reply = try reply { _ in }
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

    /// Reads frames until the reply, passing stream events to `between` (and nil when `waitMilliseconds` pass
    /// without a frame).
    private func reply(waitMilliseconds: Int32 = -1,
                       _ between: (StreamEvent?) throws(Failure) -> Void) throws(Failure) -> Reply {
        while true {
            guard let header = try nextLine(waitMilliseconds: waitMilliseconds) else {
                try between(nil)
                continue
            }
            let words = header.split(separator: " ")
            guard words.count == 2, let kind = ControlWire.Kind(rawValue: String(words[0])),
                  let length = Int(words[1]), (0...ControlWire.maximumFrameBytes).contains(length) else {
                throw Failure(description: "unexpected reply from the server: \(LineEditor.printable(String(header.prefix(80))))")
            }
            var body = try bytes(length)
            if body.last == 10 { body.removeLast() }
            let text = String(decoding: body, as: UTF8.self)
            switch kind {
            case .ok, .error: return Reply(ok: kind == .ok, text: text)
            case .log: try between(.line(text))
            case .dropped: try between(.dropped(Int(text) ?? 0))
            }
        }
    }

    /// The next line, or nil when none came within `waitMilliseconds` (-1: wait as long as it takes).
    private func nextLine(waitMilliseconds: Int32) throws(Failure) -> String? {
        while true {
            switch input.next() {
            case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .tooLong: throw Failure(description: "the server sent a line that is too long")
            case .incomplete: break
            }
            guard socket.wait(for: POLLIN, milliseconds: waitMilliseconds) else { return nil }
            try receive()
        }
    }

    private func bytes(_ count: Int) throws(Failure) -> [UInt8] {
        while true {
            if let taken = input.take(count) { return taken }
            try receive()
        }
    }

    private func receive() throws(Failure) {
        guard let count = socket.read(into: &chunk) else { throw lost() }
        input.append(chunk[..<count])
    }

    private func lost() -> Failure {
        Failure(description: "the server closed the connection")
    }

    /// The greeting line (read before the client exists).
    private static func readLine(_ socket: UnixSocket, _ input: inout LineBuffer) -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if case .line(let bytes) = input.next() { return String(decoding: bytes, as: UTF8.self) }
            guard let count = socket.read(into: &chunk) else { return nil }
            input.append(chunk[..<count])
        }
    }
}
