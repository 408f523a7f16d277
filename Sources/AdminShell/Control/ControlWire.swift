import HTTPServer

/// The control socket's wire format, version 1 (README, "Control socket wire format"). Text over a Unix-domain
/// stream socket, readable with `socat`:
///
/// - On connect the server sends one line: `httpsh-control 1 PID URL` (or `error: …` and closes).
/// - The client sends requests, one line each (at most `maximumRequestBytes`): `run COMMAND-LINE`,
///   `complete uploads|blocked`, `stop` (ends a `log follow`).
/// - Every request gets exactly one reply frame, `ok` or `error`: a header line `KIND LENGTH` and then LENGTH bytes
///   of text (ending in a newline) to print as they are. Before the reply to `run log follow …`, the server sends
///   `log` frames (one access-log line each) and `dropped` frames (how many lines this session missed).
public enum ControlWire {
    /// Bumped when a client of the previous version could misread the server.
    public static let version = 1
    /// The first word of the server's greeting.
    static let greetingWord = "httpsh-control"
    /// The longest request line: a command line is short; more is garbage, answered with an error and a close.
    public static let maximumRequestBytes = 64 * 1024
    /// The largest reply a client accepts: `uploads all` of a big folder fits, a corrupt length does not.
    static let maximumFrameBytes = 64 * 1024 * 1024

    /// The kinds of frame the server sends.
    public enum Kind: String, Sendable {
        /// The request succeeded; the text is its reply.
        case ok
        /// The request failed; the text says why (a script's exit status becomes 1).
        case error
        /// One access-log line of a `log follow`.
        case log
        /// How many access-log lines this session missed because it read too slowly.
        case dropped
    }

    /// One frame: its header line and its text (which gets a final newline unless it is empty).
    static func frame(_ kind: Kind, _ text: String) -> String {
        let body = text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
        return "\(kind.rawValue) \(body.utf8.count)\n" + body
    }

    /// The request verbs.
    enum Verb: String {
        case run
        case complete
        case stop
    }

    /// The greeting line for a server with process id `pid` serving `url`.
    static func greeting(pid: Int32, url: String) -> String {
        "\(greetingWord) \(version) \(pid) \(url)\n"
    }
}

/// Splits what arrives on a socket into lines of at most `limit` bytes, keeping what follows the last newline.
struct LineBuffer {
    /// What `next` found.
    enum Next: Equatable {
        case line([UInt8])
        /// More bytes than `limit` arrived without a newline.
        case tooLong
        /// No complete line yet.
        case incomplete
    }

    let limit: Int
    private var bytes: [UInt8] = []
    private var scanned = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// True while part of a line is waiting.
    var hasPartialLine: Bool { !bytes.isEmpty }

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line without its newline (and without a CR before it).
    mutating func next() -> Next {
        guard let end = bytes[scanned...].firstIndex(of: 10) else {
            scanned = bytes.count
            return bytes.count > limit ? .tooLong : .incomplete
        }
        guard end <= limit else { return .tooLong }
        var line = Array(bytes[..<end])
        if line.last == 13 { line.removeLast() }
        bytes.removeFirst(end + 1)
        scanned = 0
        return .line(line)
    }

    /// Takes exactly `count` bytes when that many are waiting.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard bytes.count >= count else { return nil }
        defer {
            bytes.removeFirst(count)
            scanned = 0
        }
        return Array(bytes[..<count])
    }
}
